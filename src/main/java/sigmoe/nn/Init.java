package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The paper's initialisations (paper.md §3.4, §1.4), written into parameter views in place and driven only by an
 * explicit {@link Rng}, so a seed fixes every initial weight. Fan-in / fan-out follow PyTorch for a 2-D tensor
 * {@code [out, in]}: fan_in = in (columns), fan_out = out (rows). "std" of an array is PyTorch's
 * {@code Tensor.std()}: the unbiased (n − 1) sample standard deviation around the array's own mean.
 */
public final class Init {
    private Init() {}

    /** All zeros (biases). */
    public static void zeros(INDArray a) { fill(a, 0); }

    /** All ones (LayerNorm weight). */
    public static void ones(INDArray a) { fill(a, 1); }

    public static void fill(INDArray a, double v) {
        Mem m = Mem.of(a);
        for (int i = 0; i < m.length; i++) m.set(i, v);
        Reference.reachabilityFence(a);
    }

    /** N(0, std²), untruncated (the σ-MoE weights, paper.md §1.4). */
    public static void normal(INDArray a, Rng rng, double std) {
        Mem m = Mem.of(a);
        for (int i = 0; i < m.length; i++) m.set(i, std * rng.nextGaussian());
        Reference.reachabilityFence(a);
    }

    /** U(−bound, bound). */
    public static void uniform(INDArray a, Rng rng, double bound) {
        Mem m = Mem.of(a);
        for (int i = 0; i < m.length; i++) m.set(i, bound * (2 * rng.nextDouble() - 1));
        Reference.reachabilityFence(a);
    }

    /** A unit normal truncated to [−2, 2] by rejection (PyTorch's {@code trunc_normal_} defaults). */
    public static void truncatedUnitNormal(INDArray a, Rng rng) {
        Mem m = Mem.of(a);
        for (int i = 0; i < m.length; i++) {
            double z;
            do { z = rng.nextGaussian(); } while (z < -2 || z > 2);
            m.set(i, z);
        }
        Reference.reachabilityFence(a);
    }

    /**
     * The pre-LN block Linear init: truncated unit normal, then multiplied by target / std(a) so that the empirical
     * std is exactly {@code sqrt(2 / (nLayers · fan_in))} (paper.md §3.4, pitfall 5).
     */
    public static void preLnLinear(INDArray weight, Rng rng, int nLayers) {
        truncatedUnitNormal(weight, rng);
        rescaleToStd(weight, preLnStd(nLayers, fanIn(weight)));
    }

    /** sqrt(2 / (nLayers · fanIn)). */
    public static double preLnStd(int nLayers, long fanIn) {
        if (nLayers < 1 || fanIn < 1) throw new IllegalArgumentException("preLnStd needs n_layers >= 1 and fan_in >= 1, got " + nLayers + ", " + fanIn);
        return Math.sqrt(2.0 / ((double) nLayers * fanIn));
    }

    /** Multiplies {@code a} by target / std(a) (no re-centring), so its empirical std becomes exactly target. */
    public static void rescaleToStd(INDArray a, double target) {
        double s = std(a);
        if (!(s > 0)) throw new IllegalArgumentException("cannot rescale an array with std " + s + " (constant or length < 2)");
        Kernels.scale(a, target / s);
    }

    /** Unbiased sample standard deviation over all elements (PyTorch {@code Tensor.std()}), computed in double. */
    public static double std(INDArray a) {
        try {
            Mem m = Mem.of(a);
            int n = m.length;
            if (n < 2) return Double.NaN;
            double s = 0;
            for (int i = 0; i < n; i++) s += m.get(i);
            double mu = s / n, v = 0;
            for (int i = 0; i < n; i++) { double t = m.get(i) - mu; v += t * t; }
            return Math.sqrt(v / (n - 1));
        } finally {
            Reference.reachabilityFence(a);
        }
    }

    /** Glorot/Xavier uniform: U(±sqrt(6 / (fan_in + fan_out))) (the token embedding). */
    public static void xavierUniform(INDArray a, Rng rng) {
        uniform(a, rng, Math.sqrt(6.0 / (fanIn(a) + fanOut(a))));
    }

    /**
     * PyTorch's default {@code nn.Linear} init (kaiming_uniform with a = √5 reduces to this): weight and bias
     * U(±1/sqrt(fan_in)), fan_in taken from the weight. The output layer uses it (paper.md §3.4). Bias may be null.
     */
    public static void torchLinearDefault(INDArray weight, INDArray bias, Rng rng) {
        double bound = 1 / Math.sqrt(fanIn(weight));
        uniform(weight, rng, bound);
        if (bias != null) uniform(bias, rng, bound);
    }

    /** fan_in of a PyTorch weight: the number of columns of {@code [out, in]} (the length for a 1-D tensor). */
    public static long fanIn(INDArray w) {
        if (w.rank() == 1) return w.size(0);
        long f = 1;
        for (int i = 1; i < w.rank(); i++) f *= w.size(i);
        return f;
    }

    /** fan_out: rows of {@code [out, in]} (times any trailing receptive field, as PyTorch). */
    public static long fanOut(INDArray w) {
        if (w.rank() == 1) return w.size(0);
        long f = w.size(0);
        for (int i = 2; i < w.rank(); i++) f *= w.size(i);
        return f;
    }
}
