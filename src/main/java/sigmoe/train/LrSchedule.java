package sigmoe.train;

/**
 * The paper's schedule (paper.md §3.5): linear warm-up {@code lr·(it+1)/warmup} for it < warmup, then PyTorch's
 * CosineAnnealingLR with T_max = total steps stepped at {@code it − warmup} (so with warm-up it ends above 0, as in
 * the paper's code), or a constant rate after the warm-up.
 */
public record LrSchedule(double lr, long warmup, long totalSteps, boolean cosine) {
    public LrSchedule(double lr, long warmup, long totalSteps) { this(lr, warmup, totalSteps, true); }

    public static LrSchedule of(TrainConfig t) {
        return new LrSchedule(t.lr(), t.warmup(), t.steps(), t.lrSchedule() == TrainConfig.LrSchedule.COSINE);
    }

    public double at(long it) {
        if (it < warmup) return lr * (it + 1) / warmup;
        if (!cosine) return lr;
        long t = it - warmup;
        return lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, totalSteps) / totalSteps));
    }
}
