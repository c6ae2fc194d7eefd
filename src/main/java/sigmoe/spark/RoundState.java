package sigmoe.spark;

/**
 * What the driver publishes at the start of a round ({@link StateServer}): the averaged parameters and Adam moments
 * (flat, in the ParamStore layout) and the global step every slice resumes from.
 */
public record RoundState(long step, long adamStep, float[] params, float[] m, float[] v) {}
