package sigmoe.nn.variants;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.Init;
import sigmoe.nn.Kernels;
import sigmoe.nn.Mem;
import sigmoe.nn.Param;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.RowBuffer;
import sigmoe.nn.RowParallel;

/**
 * Product-Key Memory FFN as the paper's runs computed it (paper.md §2.2, pitfall 14; {@code ffn = pkm}): the
 * <em>dense</em> product-key path ([M] {@code forward_dense}, taken because knn = 128 ≥ n_keys), no top-k.
 *
 * <p>With x = xa|xb (first and second d/2 columns, no query projection), n = n_keys sub-keys per half and head:
 * <pre>
 *   s[i·n + j] = Σ_h ( xa·K_a[h, i] + xb·K_b[h, j] )      for all n² pairs (heads summed BEFORE the activation)
 *   y          = act(s) V                                 act = ReLU, or softmax over all n² entries
 * </pre>
 * Index order: value {@code i·n + j} pairs sub-key i of the FIRST half with sub-key j of the SECOND, as the code's
 * {@code (scores1[..., :, None] + scores2[..., None, :]).flatten()} and {@code index_combine}. The paper's text
 * writes {@code u[i] = ub[⌊i/√d_ff⌋] + ua[i mod √d_ff]}, the same layout with a/b named the other way round.
 *
 * <p>Tensors under the prefix: {@code .keys_a} and {@code .keys_b} [heads, n, d/2] ([M] {@code keys[0]},
 * {@code keys[1]}), {@code .values} [n², d] (the EmbeddingBag weight, shared by the heads). No biases, no dropout
 * inside the layer. Because there is no query projection every head sees the same query, so Σ_h xa·K_a[h, i] =
 * xa·(Σ_h K_a[h, i]): forward works with the head-summed keys and backward gives every head the same (exact) gradient.
 * Both halves go through one GEMM with a block-diagonal key matrix [2n, d] (zeros off the blocks), so neither x nor
 * dx is ever sliced by columns; the zero blocks cost 2·n·d extra multiply-adds per token, small next to n²·d.
 */
public final class ProductKeyFfn {
    public final int d;
    public final int half;
    public final int nKeys;
    public final int heads;
    public final int nValues;
    public final boolean softmax;
    public final Param keysA;
    public final Param keysB;
    public final Param values;
    /** [2n, d]: rows 0..n-1 = [Σ_h K_a[h] | 0], rows n..2n-1 = [0 | Σ_h K_b[h]]. */
    private final INDArray blockKeys;
    private final INDArray dBlockKeys;
    private final RowBuffer halfScores;   // [N, 2n]: xa·ΣK_a | xb·ΣK_b
    private final RowBuffer dHalfScores;  // [N, 2n]
    private final RowBuffer act;          // [N, n²]: act(s)
    private final RowBuffer dAct;         // [N, n²]
    private final RowBuffer y;            // [N, d]
    private final RowBuffer dx;           // [N, d]
    private INDArray x;
    private INDArray h;
    private int n = -1;

    public ProductKeyFfn(ParamStore ps, String prefix, int d, int nKeys, int heads, boolean softmax) {
        if (d < 2 || d % 2 != 0)
            throw new IllegalArgumentException(prefix + ": ffn = pkm splits the input in two halves, so d_model must be even, got " + d);
        if (nKeys < 1) throw new IllegalArgumentException(prefix + ": pkm_keys must be >= 1, got " + nKeys);
        if (heads < 1) throw new IllegalArgumentException(prefix + ": pkm_heads must be >= 1, got " + heads);
        if ((long) nKeys * nKeys > Integer.MAX_VALUE / 2)
            throw new IllegalArgumentException(prefix + ": pkm_keys " + nKeys + " gives too many values (" + (long) nKeys * nKeys + ")");
        this.d = d;
        this.half = d / 2;
        this.nKeys = nKeys;
        this.heads = heads;
        this.nValues = nKeys * nKeys;
        this.softmax = softmax;
        this.keysA = ps.add(prefix + ".keys_a", heads, nKeys, half);
        this.keysB = ps.add(prefix + ".keys_b", heads, nKeys, half);
        this.values = ps.add(prefix + ".values", nValues, d);
        this.blockKeys = Nd4j.create(ps.dtype(), 2L * nKeys, d);
        this.dBlockKeys = Nd4j.create(ps.dtype(), 2L * nKeys, d);
        this.halfScores = new RowBuffer(ps.dtype(), 2 * nKeys);
        this.dHalfScores = new RowBuffer(ps.dtype(), 2 * nKeys);
        this.act = new RowBuffer(ps.dtype(), nValues);
        this.dAct = new RowBuffer(ps.dtype(), nValues);
        this.y = new RowBuffer(ps.dtype(), d);
        this.dx = new RowBuffer(ps.dtype(), d);
    }

    /** x [N, d] → y [N, d]. No dropout inside the layer (paper.md §2.2), so training and rng do not matter here. */
    public INDArray forward(INDArray x) {
        if (Kernels.cols(x) != d)
            throw new IllegalArgumentException(values.name + ": input has " + Kernels.cols(x) + " columns, expected d_model " + d);
        if (x.dataType() != values.value().dataType())
            throw new IllegalArgumentException(values.name + ": input is " + x.dataType() + ", parameters " + values.value().dataType());
        this.x = x;
        n = Kernels.rows(x);
        sumHeadsIntoBlocks();
        INDArray ab = halfScores.rows(n);
        Nd4j.gemm(x, blockKeys, ab, false, true, 1.0, 0.0);
        h = act.rows(n);
        expandPairs(Mem.of(ab), Mem.of(h), n);
        Reference.reachabilityFence(ab); Reference.reachabilityFence(h);
        if (softmax) Kernels.softmaxRowsInPlace(h);
        else Kernels.reluInPlace(h);
        INDArray out = y.rows(n);
        Nd4j.gemm(h, values.value(), out, false, false, 1.0, 0.0);
        return out;
    }

    /** Accumulates the gradients of keys_a, keys_b and values and returns dx [N, d]. */
    public INDArray backward(INDArray dy) {
        if (n < 0) throw new IllegalStateException(values.name + ": backward before forward");
        if (Kernels.rows(dy) != n || Kernels.cols(dy) != d)
            throw new IllegalArgumentException(values.name + ": output gradient must be " + n + "x" + d);
        INDArray ds = dAct.rows(n);
        Nd4j.gemm(dy, values.value(), ds, false, true, 1.0, 0.0);
        Nd4j.gemm(h, dy, values.grad(), true, false, 1.0, 1.0);
        if (softmax) Kernels.softmaxBackwardRows(h, ds, ds);
        else Kernels.reluBackwardInPlace(ds, h);
        INDArray dab = dHalfScores.rows(n);
        reducePairs(Mem.of(ds), Mem.of(dab), n);
        Reference.reachabilityFence(ds); Reference.reachabilityFence(dab);
        Nd4j.gemm(dab, x, dBlockKeys, true, false, 1.0, 0.0);
        scatterToHeads();
        INDArray dxOut = dx.rows(n);
        Nd4j.gemm(dab, blockKeys, dxOut, false, false, 1.0, 0.0);
        return dxOut;
    }

    /** Writes Σ_h K_a[h] and Σ_h K_b[h] into the diagonal blocks (the off-diagonal blocks stay zero). */
    private void sumHeadsIntoBlocks() {
        INDArray kaValue = keysA.value(), kbValue = keysB.value();
        Mem ka = Mem.of(kaValue), kb = Mem.of(kbValue), bk = Mem.of(blockKeys);
        int perHead = nKeys * half;
        for (int i = 0; i < nKeys; i++) {
            for (int c = 0; c < half; c++) {
                double sa = 0, sb = 0;
                for (int hd = 0; hd < heads; hd++) {
                    sa += ka.get(hd * perHead + i * half + c);
                    sb += kb.get(hd * perHead + i * half + c);
                }
                bk.set(i * d + c, sa);
                bk.set((nKeys + i) * d + half + c, sb);
            }
        }
        Reference.reachabilityFence(kaValue); Reference.reachabilityFence(kbValue); Reference.reachabilityFence(blockKeys);
    }

    /** Every head's key gradient is the gradient of the summed keys: the diagonal blocks of dBlockKeys. */
    private void scatterToHeads() {
        INDArray kaGrad = keysA.grad(), kbGrad = keysB.grad();
        Mem ga = Mem.of(kaGrad), gb = Mem.of(kbGrad), g = Mem.of(dBlockKeys);
        int perHead = nKeys * half;
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < nKeys; i++) {
                for (int c = 0; c < half; c++) {
                    int k = hd * perHead + i * half + c;
                    ga.add(k, g.get(i * d + c));
                    gb.add(k, g.get((nKeys + i) * d + half + c));
                }
            }
        }
        Reference.reachabilityFence(kaGrad); Reference.reachabilityFence(kbGrad); Reference.reachabilityFence(dBlockKeys);
    }

    /** s[t, i·n + j] = ab[t, i] + ab[t, n + j]; rows split across threads (each row written by one block). */
    private void expandPairs(Mem ab, Mem s, int rows) {
        int w = 2 * nKeys;
        RowParallel.forRange(rows, 16, (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
                int ao = t * w, so = t * nValues;
                for (int i = 0; i < nKeys; i++) {
                    double a = ab.get(ao + i);
                    int o = so + i * nKeys;
                    for (int j = 0; j < nKeys; j++) s.set(o + j, a + ab.get(ao + nKeys + j));
                }
            }
        });
    }

    /** The adjoint of {@link #expandPairs}: dab[t, i] = Σ_j ds[t, i·n + j], dab[t, n + j] = Σ_i ds[t, i·n + j]. */
    private void reducePairs(Mem ds, Mem dab, int rows) {
        int w = 2 * nKeys;
        RowParallel.forRange(rows, 16, (lo, hi) -> {
            double[] colSum = new double[nKeys];
            for (int t = lo; t < hi; t++) {
                int ao = t * w, so = t * nValues;
                java.util.Arrays.fill(colSum, 0);
                for (int i = 0; i < nKeys; i++) {
                    int o = so + i * nKeys;
                    double rowSum = 0;
                    for (int j = 0; j < nKeys; j++) {
                        double g = ds.get(o + j);
                        rowSum += g;
                        colSum[j] += g;
                    }
                    dab.set(ao + i, rowSum);
                }
                for (int j = 0; j < nKeys; j++) dab.set(ao + nKeys + j, colSum[j]);
            }
        });
    }

    /**
     * The paper code's init (paper.md §2.2), untruncated normals: keys N(0, (d^-0.5·√(2/L))²); values the same
     * ({@code pkm_value_init = pkm}, [M] custom_init 0) or, for "PKM + init" ({@code dense}, custom_init 5),
     * std (n²)^-0.5·√(2/L), i.e. from the number of values like the dense model's W2.
     */
    public void init(Rng rng, int nLayers, boolean valueInitFromValueCount) {
        if (nLayers < 1) throw new IllegalArgumentException(values.name + ": n_layers must be >= 1, got " + nLayers);
        double scale = Math.sqrt(2.0 / nLayers);
        Init.normal(keysA.value(), rng, scale / Math.sqrt(d));
        Init.normal(keysB.value(), rng, scale / Math.sqrt(d));
        Init.normal(values.value(), rng, scale / Math.sqrt(valueInitFromValueCount ? nValues : d));
    }

    /** The activation act(s) [N, n²] of the last forward (valid until the next forward). */
    public INDArray activations() {
        if (n < 0) throw new IllegalStateException(values.name + ": no forward yet");
        return h;
    }
}
