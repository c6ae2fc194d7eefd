package sigmoe.nn;

/**
 * SplitMix64: a small, fast generator whose whole state is one long, so trainer state (dropout masks, sampling)
 * can be checkpointed and resumed bit for bit, and streams can be split deterministically per worker and layer.
 */
public final class Rng {
    private long state;
    private double spareGaussian = Double.NaN;

    public Rng(long seed) { this.state = seed; }

    public long state() { return state; }

    /** Restores a state saved with {@link #state()} (drops any cached Gaussian). */
    public void setState(long s) { state = s; spareGaussian = Double.NaN; }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform in [0, 1) with 24 random bits (dropout masks). */
    public float nextFloat() { return (nextLong() >>> 40) * 0x1.0p-24f; }

    public int nextInt(int bound) { return (int) Long.remainderUnsigned(nextLong(), bound); }

    /** Standard normal (Marsaglia polar method). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) { double g = spareGaussian; spareGaussian = Double.NaN; return g; }
        double u, v, s;
        do { u = 2 * nextDouble() - 1; v = 2 * nextDouble() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        return u * m;
    }

    /** An independent child generator, derived deterministically from this one's next output and a salt. */
    public Rng split(long salt) { return new Rng(nextLong() ^ (salt * 0xD1B54A32D192ED03L)); }
}
