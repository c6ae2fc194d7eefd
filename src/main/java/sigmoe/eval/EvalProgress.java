package sigmoe.eval;

import java.util.Locale;
import java.util.function.Consumer;
import sigmoe.train.Progress;

/**
 * Progress lines for a long evaluation: units done (segment positions, or partitions when distributed), tokens
 * scored, running loss (when known), throughput and ETA. Lines are rate-limited: the first unit, then at most one per interval,
 * and always the last.
 */
public final class EvalProgress {
    private final String unit;
    private final long totalTokens;
    private final Consumer<String> out;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastPrint = Long.MIN_VALUE;

    /**
     * @param unit        what is counted ("segment", "partition")
     * @param totalTokens tokens the whole evaluation scores (for the ETA)
     * @param intervalSec least seconds between two lines (0 prints every unit)
     */
    public EvalProgress(String unit, long totalTokens, Consumer<String> out, double intervalSec) {
        this.unit = unit;
        this.totalTokens = totalTokens;
        this.out = out;
        this.intervalNanos = (long) (intervalSec * 1e9);
    }

    /** Reports {@code done} of {@code total} units with the result so far; prints when due. */
    public synchronized void update(long done, long total, Evaluator.Result sofar) {
        long now = System.nanoTime();
        boolean due = done == 1 || done == total || lastPrint == Long.MIN_VALUE || now - lastPrint >= intervalNanos;
        if (!due) return;
        lastPrint = now;
        out.accept(line(done, total, sofar, (now - start) / 1e9));
    }

    /** e.g. {@code segment 12/40 | 49,152/163,840 tokens | loss 1.2345 | 5,012 tok/s | ETA 23s}. */
    String line(long done, long total, Evaluator.Result sofar, double seconds) {
        double rate = sofar.tokens() / Math.max(1e-9, seconds);
        double eta = sofar.tokens() > 0 ? (totalTokens - sofar.tokens()) / rate : Double.NaN;
        String loss = Double.isNaN(sofar.lossSum()) ? "" : String.format(Locale.ROOT, " | loss %.4f", sofar.loss());
        return String.format(Locale.ROOT, "%s %d/%d | %,d/%,d tokens%s | %,.0f tok/s | ETA %s",
                unit, done, total, sofar.tokens(), totalTokens, loss, rate, Progress.duration(eta));
    }
}
