package sigmoe.nn;

/**
 * An additive loss result: the sum of token cross-entropies (nats) and the number of scored tokens. Workers return
 * sums, never means, so results from executors and batches combine exactly; the mean is taken once at the end.
 */
public record LossSum(double sum, long count) {
    public static final LossSum ZERO = new LossSum(0, 0);

    public LossSum plus(LossSum o) { return new LossSum(sum + o.sum, count + o.count); }

    /** Mean cross-entropy per scored token (NaN when nothing was scored). */
    public double mean() { return count == 0 ? Double.NaN : sum / count; }
}
