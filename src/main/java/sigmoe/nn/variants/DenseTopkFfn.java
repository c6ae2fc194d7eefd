package sigmoe.nn.variants;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Dropout;
import sigmoe.nn.Kernels;
import sigmoe.nn.Linear;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.RowBuffer;

/**
 * Top-K activation on the dense FFN (paper.md §2.1, [P] Eq. 6–7; {@code ffn = dense_topk}):
 * {@code m = dropout(ReLU(W1 x + b1))}, then per token every unit below the K-th largest value of m is zeroed (ties
 * with the K-th value are kept, so ≥ K units survive), {@code y = W2 m' + b2}. As in [M] {@code TopkTransformer} the
 * dropout comes before the top-K and the top-K applies in training and evaluation. Saves compute only in W2.
 *
 * <p>Tensors are the dense FFN's ({@code .w1.weight}, {@code .w1.bias}, {@code .w2.weight}, {@code .w2.bias}), so a
 * dense checkpoint's FFN weights load unchanged. The threshold choice has no gradient: the kept units pass theirs.
 */
public final class DenseTopkFfn {
    public final int d;
    public final int dFf;
    public final int topK;
    public final Linear w1;
    public final Linear w2;
    private final Dropout hiddenDropout;
    private final RowBuffer kept;
    private INDArray hidden;
    private boolean[] keep = new boolean[0];
    private double[] scratch = new double[0];
    private int n = -1;

    public DenseTopkFfn(ParamStore ps, String prefix, int d, int dFf, int topK, double dropout) {
        if (topK < 1 || topK > dFf)
            throw new IllegalArgumentException(prefix + ": topk_activation must be in [1, d_ff=" + dFf + "], got " + topK);
        this.d = d;
        this.dFf = dFf;
        this.topK = topK;
        this.w1 = new Linear(ps, prefix + ".w1", d, dFf, true);
        this.w2 = new Linear(ps, prefix + ".w2", dFf, d, true);
        this.hiddenDropout = new Dropout(ps.dtype(), dropout);
        this.kept = new RowBuffer(ps.dtype(), dFf);
    }

    /** x [N, d] → y [N, d]; hidden dropout only when training (rng may be null otherwise). */
    public INDArray forward(INDArray x, boolean training, Rng rng) {
        hidden = w1.forward(x);
        Kernels.reluInPlace(hidden);
        INDArray m = hiddenDropout.forward(hidden, training, rng);
        n = Kernels.rows(m);
        INDArray out = kept.rows(n); // own buffer: m may be `hidden` itself, which backward's ReLU mask needs intact
        topK(Mem.of(m), Mem.of(out), n);
        Reference.reachabilityFence(m); Reference.reachabilityFence(out);
        return w2.forward(out);
    }

    /** Keeps the units ≥ the K-th largest value of each row (ties kept), zeroes the rest; records the mask. */
    private void topK(Mem m, Mem out, int rows) {
        if (keep.length < rows * dFf) keep = new boolean[rows * dFf];
        if (scratch.length < dFf) scratch = new double[dFf];
        for (int t = 0; t < rows; t++) {
            int o = t * dFf;
            for (int c = 0; c < dFf; c++) scratch[c] = m.get(o + c);
            double thr = kthLargest(scratch, dFf, topK);
            for (int c = 0; c < dFf; c++) {
                double v = m.get(o + c);
                boolean k = v >= thr;
                keep[o + c] = k;
                out.set(o + c, k ? v : 0);
            }
        }
    }

    /** The k-th largest of a[0..len) (a is reordered): quickselect, expected O(len). */
    static double kthLargest(double[] a, int len, int k) {
        int lo = 0, hi = len - 1, target = k - 1;
        while (lo < hi) {
            double pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) { double tmp = a[i]; a[i] = a[j]; a[j] = tmp; i++; j--; }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }

    /** Accumulates the four parameter gradients and returns dx [N, d]. */
    public INDArray backward(INDArray dy) {
        if (n < 0) throw new IllegalStateException(w1.weight.name + ": backward before forward");
        INDArray dKept = w2.backward(dy);
        Mem dk = Mem.of(dKept);
        for (int i = 0; i < n * dFf; i++) if (!keep[i]) dk.set(i, 0);
        Reference.reachabilityFence(dKept);
        INDArray dHidden = hiddenDropout.backward(dKept);
        Kernels.reluBackwardInPlace(dHidden, hidden);
        return w1.backward(dHidden);
    }

    /** The dense baseline's init (truncated normal, empirical std √(2/(L·fan_in)), zero biases; paper.md §3.4). */
    public void init(Rng rng, int nLayers) {
        w1.initPreLn(rng, nLayers);
        w2.initPreLn(rng, nLayers);
    }

    /** Whether hidden unit c of token t passed the top-K in the last forward. */
    public boolean kept(int t, int c) { return keep[t * dFf + c]; }
}
