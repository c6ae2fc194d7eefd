package sigmoe.train;

import java.util.Locale;

/** Periodic progress lines for long work: step, loss, tokens/s and ETA from the measured rate. */
public final class Progress {
    private final long total;
    private final long startNanos = System.nanoTime();
    private final long startStep;

    public Progress(long startStep, long total) {
        this.startStep = startStep;
        this.total = total;
    }

    /** e.g. {@code step 120/500 | loss 4.812 | 9,812 tok/s | lr 2.41e-04 | ETA 3m05s}. */
    public String line(long step, double loss, double tokensPerSecond, double lr, String extra) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long done = step - startStep;
        double eta = done > 0 ? elapsed / done * (total - step) : Double.NaN;
        return String.format(Locale.ROOT, "step %d/%d | loss %.4f | %,.0f tok/s | lr %.2e | ETA %s%s",
                step, total, loss, tokensPerSecond, lr, duration(eta), extra == null || extra.isEmpty() ? "" : " | " + extra);
    }

    public static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return s + "s";
    }
}
