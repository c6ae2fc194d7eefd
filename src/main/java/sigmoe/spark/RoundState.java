package sigmoe.spark;

import java.io.Serializable;

/**
 * What the driver broadcasts at the start of a round: the averaged parameters and Adam moments (flat, in the
 * ParamStore layout) and the global step every slice resumes from.
 */
public record RoundState(long step, long adamStep, float[] params, float[] m, float[] v) implements Serializable {}
