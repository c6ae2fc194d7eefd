package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The softmax cross-entropy of {@link OutputLoss} as two passes over the [N, V] logits, the largest activation of the
 * model, with the output bias folded in (never added to the buffer): the forward reads each row twice while it is in
 * cache (its max, then Σ exp) and leaves the logits as they are; the backward turns them into the gradient
 * scale·(softmax − onehot) in one read-write pass, summing its columns for the bias gradient on the way. The earlier
 * version made four passes (bias add, max, exp, normalise) in the forward and two more (scale, column sums) in the
 * backward. FLOAT runs on the Vector API ({@link VecLossKernels}); DOUBLE (gradient checks) and runs without the
 * vector module take the generic loops here. All sums run in a fixed order.
 */
final class LossKernels {
    private LossKernels() {}

    static final int FLUSH = 256; // rows per float partial of the column sums before it is added in double

    private static boolean fast(INDArray a) { return Kernels.VECTOR && a.dataType() == DataType.FLOAT; }

    /** Per row r of z [n, V] with bias b [V]: max[r] = max_j (z + b), logSum[r] = log Σ_j exp(z + b − max). */
    static void rowStats(INDArray z, INDArray bias, double[] max, double[] logSum) {
        int n = Kernels.rows(z), c = Kernels.cols(z);
        if (fast(z)) { VecLossKernels.rowStats(z, bias, max, logSum, n, c); return; }
        Mem m = Mem.of(z), b = Mem.of(bias);
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) mx = Math.max(mx, m.get(o + j) + b.get(j));
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp(m.get(o + j) + b.get(j) - mx);
            max[r] = mx;
            logSum[r] = Math.log(sum);
        }
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(bias);
    }

    /**
     * In place: z becomes dLogits = scale·(softmax(z + b) − onehot(target)) on rows with target ≥ 0 and 0 on the
     * others; the column sums of dLogits are added to dBias.
     */
    static void gradient(INDArray z, INDArray bias, int[] targets, double[] max, double[] logSum, double scale, INDArray dBias) {
        int n = Kernels.rows(z), c = Kernels.cols(z);
        if (fast(z)) { VecLossKernels.gradient(z, bias, targets, max, logSum, (float) scale, dBias, n, c); return; }
        Mem m = Mem.of(z), b = Mem.of(bias), db = Mem.of(dBias);
        double[] col = new double[c];
        for (int r = 0; r < n; r++) {
            int o = r * c, t = targets[r];
            if (t < 0) { for (int j = 0; j < c; j++) m.set(o + j, 0); continue; }
            for (int j = 0; j < c; j++) {
                double g = scale * Math.exp(m.get(o + j) + b.get(j) - max[r] - logSum[r]);
                m.set(o + j, g);
            }
            m.set(o + t, m.get(o + t) - scale);
            for (int j = 0; j < c; j++) col[j] += m.get(o + j);
        }
        for (int j = 0; j < c; j++) db.add(j, col[j]);
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(bias);
        Reference.reachabilityFence(dBias);
    }

    /** In place: z becomes softmax(z + b) (for inspection; the training step never materialises it). */
    static void probabilities(INDArray z, INDArray bias, double[] max, double[] logSum) {
        int n = Kernels.rows(z), c = Kernels.cols(z);
        Mem m = Mem.of(z), b = Mem.of(bias);
        for (int r = 0; r < n; r++)
            for (int j = 0, o = r * c; j < c; j++) m.set(o + j, Math.exp(m.get(o + j) + b.get(j) - max[r] - logSum[r]));
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(bias);
    }
}
