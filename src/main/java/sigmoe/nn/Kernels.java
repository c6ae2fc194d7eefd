package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reusable Java loops over layer memory: everything that is not a matrix product.
 *
 * <h2>Design: why loops are Java and GEMMs are ND4J (nd4j-only.md §5–7)</h2>
 * Matrix products go to {@code Nd4j.gemm(A, B, C, transA, transB, α, β)}: OpenBLAS reaches 220–246 GFLOP/s on every
 * layout we use, transposes are free flags, views (row ranges of activation buffers, offsets into the flat parameter
 * buffer) pass without copies, and β = 1 accumulates weight gradients straight into the flat gradient buffer.
 * Everything else is written here as Java loops, because ND4J's versions are slow or wrong on 1.0.0-M2.1:
 * {@code layer_norm} has no epsilon and is 19× (forward) / 110× (backward) slower than a Vector API loop,
 * {@code softmax} is 6.5× slower, {@code relu_bp} 4–7× slower than a masked multiply, {@code scatter_add} races on
 * duplicate indices, and every ND4J op costs 5–15 µs of fixed overhead. The loops run directly on ND4J's off-heap
 * memory (no copies): through {@link Mem} on the generic path, which serves FLOAT training and the DOUBLE
 * finite-difference checks with one code, and through {@code ByteBuffer}-backed Vector API code
 * ({@link VecKernels}) on the FLOAT fast path for the hottest loops (LayerNorm forward/backward, in
 * {@link LayerNormKernels}; row softmax and log-softmax, softmax backward, ReLU forward/backward, and the streaming
 * mul/scale/axpy/bias/column sums over [N, d_ff] and [N, V] arrays). The two paths are tested to agree. Scalar Java would not do: C2 leaves float
 * reductions and {@code Math.exp} scalar and the ternary ReLU mispredicts (5–40× slower, nd4j-only.md §5b); the
 * generic path is for DOUBLE checks and as the reference. A Vector API kernel runs interpreted (very slowly) for its
 * first calls in a JVM until C2 compiles it: expect a slow first training step, not a slow steady state.
 *
 * <p>Conventions: row-wise kernels take c-order contiguous 2-D arrays {@code [rows, cols]} (row views of a
 * larger buffer qualify); element-wise kernels take any contiguous arrays of equal length. Per-row statistics
 * (LayerNorm's 1/σ) are plain {@code double[]}. Kernels are single-threaded; callers may split by rows.
 * Set the system property {@code sigmoe.vector=false} to force the generic path everywhere.
 */
public final class Kernels {
    private Kernels() {}

    /** True when the FLOAT fast path is in use (Vector API module present and not disabled). */
    public static final boolean VECTOR = vectorAvailable();

    private static boolean vectorAvailable() {
        if ("false".equalsIgnoreCase(System.getProperty("sigmoe.vector"))) return false;
        try {
            Class.forName("jdk.incubator.vector.FloatVector");
            return true;
        } catch (Throwable t) {
            return false; // JVM started without --add-modules jdk.incubator.vector: the generic path still works
        }
    }

    static boolean fast(INDArray... as) {
        if (!VECTOR) return false;
        for (INDArray a : as) if (a.dataType() != DataType.FLOAT) return false;
        return true;
    }

    // Reachability (package-info): each wrapper fences its arrays after its generic loop; a fast path returns early
    // because its VecKernels method fences the arrays it views itself.

    // ------------------------------------------------------------------ element-wise

    /** dst = src. */
    public static void copy(INDArray src, INDArray dst) {
        Mem s = Mem.of(src), d = Mem.of(dst);
        sameLength("copy", s, d);
        if (fast(src, dst)) { VecKernels.copy(src, 0, dst, 0, s.length); return; }
        for (int i = 0; i < s.length; i++) d.set(i, s.get(i));
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    /** a *= alpha. */
    public static void scale(INDArray a, double alpha) {
        if (fast(a)) { VecKernels.scale(a, (float) alpha); return; }
        gScale(Mem.of(a), alpha);
        Reference.reachabilityFence(a);
    }

    static void gScale(Mem m, double alpha) {
        for (int i = 0; i < m.length; i++) m.set(i, alpha * m.get(i));
    }

    /** y += alpha·x. */
    public static void axpy(double alpha, INDArray x, INDArray y) {
        if (fast(x, y)) { VecKernels.axpy((float) alpha, x, y); return; }
        gAxpy(alpha, Mem.of(x), Mem.of(y));
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
    }

    static void gAxpy(double alpha, Mem xm, Mem ym) {
        sameLength("axpy", xm, ym);
        for (int i = 0; i < xm.length; i++) ym.set(i, ym.get(i) + alpha * xm.get(i));
    }

    /** out = a + b (out may be a or b: residual adds in place). */
    public static void add(INDArray a, INDArray b, INDArray out) {
        Mem am = Mem.of(a), bm = Mem.of(b), om = Mem.of(out);
        sameLength("add", am, bm);
        sameLength("add", am, om);
        // the FLOAT path adds in float, the same bits as rounding the double sum (double rounding is exact for +)
        if (fast(a, b, out)) { VecKernels.add(a, b, out); return; }
        for (int i = 0; i < am.length; i++) om.set(i, am.get(i) + bm.get(i));
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    /** out = a ⊙ b (out may be a or b; dropout masks). */
    public static void mul(INDArray a, INDArray b, INDArray out) {
        if (fast(a, b, out)) { VecKernels.mul(a, b, out); return; }
        gMul(Mem.of(a), Mem.of(b), Mem.of(out));
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    static void gMul(Mem a, Mem b, Mem out) {
        sameLength("mul", a, b);
        sameLength("mul", a, out);
        for (int i = 0; i < a.length; i++) out.set(i, a.get(i) * b.get(i));
    }

    /** a = max(a, 0). */
    public static void reluInPlace(INDArray a) {
        if (fast(a)) { VecKernels.relu(a); return; }
        gRelu(Mem.of(a));
        Reference.reachabilityFence(a);
    }

    static void gRelu(Mem m) {
        for (int i = 0; i < m.length; i++) if (m.get(i) < 0) m.set(i, 0); // NaN passes, as in PyTorch
    }

    /** dy *= (y > 0), with y the ReLU output (equivalently its input); in place on dy. */
    public static void reluBackwardInPlace(INDArray dy, INDArray y) {
        if (fast(dy, y)) { VecKernels.reluBackward(dy, y); return; }
        gReluBackward(Mem.of(dy), Mem.of(y));
        Reference.reachabilityFence(dy);
        Reference.reachabilityFence(y);
    }

    static void gReluBackward(Mem dy, Mem y) {
        sameLength("reluBackward", dy, y);
        for (int i = 0; i < dy.length; i++) if (!(y.get(i) > 0)) dy.set(i, 0);
    }

    // ------------------------------------------------------------------ rows and columns

    /** y[r, :] += bias for every row. */
    public static void addBiasRows(INDArray y, INDArray bias) {
        int n = rows(y), c = cols(y);
        if (bias.length() != c) throw new IllegalArgumentException("bias length " + bias.length() + " != columns " + c);
        if (fast(y, bias)) { VecKernels.addBiasRows(y, bias, n, c); return; }
        gAddBiasRows(Mem.of(y), Mem.of(bias), n, c);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(bias);
    }

    static void gAddBiasRows(Mem ym, Mem bm, int n, int c) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            for (int j = 0; j < c; j++) ym.set(o + j, ym.get(o + j) + bm.get(j));
        }
    }

    /** acc[j] += Σ_r a[r, j] (bias gradients). Sums each column in double before one add into acc. */
    public static void addColumnSums(INDArray a, INDArray acc) {
        int n = rows(a), c = cols(a);
        if (acc.length() != c) throw new IllegalArgumentException("accumulator length " + acc.length() + " != columns " + c);
        if (fast(a, acc)) { VecKernels.addColumnSums(a, acc, n, c); return; }
        gAddColumnSums(Mem.of(a), Mem.of(acc), n, c);
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(acc);
    }

    static void gAddColumnSums(Mem am, Mem sm, int n, int c) {
        double[] s = new double[c];
        for (int r = 0; r < n; r++) {
            int o = r * c;
            for (int j = 0; j < c; j++) s[j] += am.get(o + j);
        }
        for (int j = 0; j < c; j++) sm.set(j, sm.get(j) + s[j]);
    }

    /** dst[dstRow + i, :] = src[srcRow + i, :] for i in [0, nRows). */
    public static void copyRows(INDArray src, int srcRow, INDArray dst, int dstRow, int nRows) {
        int c = cols(src);
        if (cols(dst) != c) throw new IllegalArgumentException("copyRows: widths differ " + c + " vs " + cols(dst));
        if (srcRow < 0 || dstRow < 0 || nRows < 0 || srcRow + nRows > rows(src) || dstRow + nRows > rows(dst))
            throw new IllegalArgumentException("copyRows: rows [" + srcRow + "," + (srcRow + nRows) + ") -> [" + dstRow
                    + "," + (dstRow + nRows) + ") out of range " + rows(src) + " / " + rows(dst));
        Mem s = Mem.of(src), d = Mem.of(dst);
        int so = srcRow * c, dO = dstRow * c;
        if (fast(src, dst)) { VecKernels.copy(src, so, dst, dO, nRows * c); return; }
        for (int i = 0; i < nRows * c; i++) d.set(dO + i, s.get(so + i));
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    /** dst[i, :] = src[idx[i], :] for i in [0, n): an embedding lookup or an expert dispatch. */
    public static void gatherRows(INDArray src, int[] idx, int n, INDArray dst) {
        int c = cols(src), v = rows(src);
        if (cols(dst) != c || rows(dst) < n)
            throw new IllegalArgumentException("gatherRows: destination " + rows(dst) + "x" + cols(dst) + " cannot hold " + n + "x" + c);
        Mem s = Mem.of(src), d = Mem.of(dst);
        for (int i = 0; i < n; i++) {
            int k = idx[i];
            if (k < 0 || k >= v) throw new IllegalArgumentException("gatherRows: index " + k + " at " + i + " outside [0, " + v + ")");
            int so = k * c, dO = i * c;
            for (int j = 0; j < c; j++) d.set(dO + j, s.get(so + j));
        }
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    /**
     * dst[idx[i], :] += src[i, :] for i in [0, n), sequentially, so repeated indices accumulate correctly (ND4J's
     * scatter_add races on duplicates, nd4j-only.md §6.1).
     */
    public static void scatterAddRows(INDArray src, int[] idx, int n, INDArray dst) {
        int c = cols(dst), v = rows(dst);
        if (cols(src) != c || rows(src) < n)
            throw new IllegalArgumentException("scatterAddRows: source " + rows(src) + "x" + cols(src) + " has no " + n + "x" + c);
        Mem s = Mem.of(src), d = Mem.of(dst);
        for (int i = 0; i < n; i++) {
            int k = idx[i];
            if (k < 0 || k >= v) throw new IllegalArgumentException("scatterAddRows: index " + k + " at " + i + " outside [0, " + v + ")");
            int so = i * c, dO = k * c;
            for (int j = 0; j < c; j++) d.set(dO + j, d.get(dO + j) + s.get(so + j));
        }
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    // ------------------------------------------------------------------ softmax family

    /** Each row becomes softmax(row), numerically stable (max subtracted); −∞ entries become 0 (masks). */
    public static void softmaxRowsInPlace(INDArray a) { softmaxRowsInPlace(a, null); }

    /**
     * As {@link #softmaxRowsInPlace(INDArray)}, also storing each row's log Σ exp (of the input) in {@code lse}
     * (when not null): a cross-entropy is then lse − logit[target], exact even where the probability underflows.
     */
    public static void softmaxRowsInPlace(INDArray a, double[] lse) {
        int n = rows(a), c = cols(a);
        if (lse != null && lse.length < n) throw new IllegalArgumentException("lse array shorter than " + n + " rows");
        if (fast(a)) { VecKernels.softmaxRows(a, lse); return; }
        gSoftmaxRows(Mem.of(a), n, c, lse);
        Reference.reachabilityFence(a);
    }

    static void gSoftmaxRows(Mem m, int n, int c, double[] lse) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) max = Math.max(max, m.get(o + j));
            double sum = 0;
            for (int j = 0; j < c; j++) {
                double e = Math.exp(m.get(o + j) - max);
                m.set(o + j, e);
                sum += e;
            }
            double inv = 1 / sum;
            for (int j = 0; j < c; j++) m.set(o + j, m.get(o + j) * inv);
            if (lse != null) lse[r] = max + Math.log(sum);
        }
    }

    /** Each row becomes log_softmax(row) = row − max − log Σ exp(row − max). */
    public static void logSoftmaxRowsInPlace(INDArray a) {
        if (fast(a)) { VecKernels.logSoftmaxRows(a); return; }
        gLogSoftmaxRows(Mem.of(a), rows(a), cols(a));
        Reference.reachabilityFence(a);
    }

    static void gLogSoftmaxRows(Mem m, int n, int c) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double lse = logSumExp(m, o, c);
            for (int j = 0; j < c; j++) m.set(o + j, m.get(o + j) - lse);
        }
    }

    /** log Σ_j exp(m[o + j]) for j in [0, c), stable. */
    public static double logSumExp(Mem m, int o, int c) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) max = Math.max(max, m.get(o + j));
        double sum = 0;
        for (int j = 0; j < c; j++) sum += Math.exp(m.get(o + j) - max);
        return max + Math.log(sum);
    }

    /**
     * Softmax backward per row: dIn = p ⊙ (dOut − Σ_j p_j dOut_j), with p the softmax output. dIn may be dOut
     * (in place).
     */
    public static void softmaxBackwardRows(INDArray p, INDArray dOut, INDArray dIn) {
        if (fast(p, dOut, dIn)) { VecKernels.softmaxBackwardRows(p, dOut, dIn); return; }
        gSoftmaxBackwardRows(Mem.of(p), Mem.of(dOut), Mem.of(dIn), rows(p), cols(p));
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(dOut);
        Reference.reachabilityFence(dIn);
    }

    static void gSoftmaxBackwardRows(Mem p, Mem dOut, Mem dIn, int n, int c) {
        sameLength("softmaxBackward", p, dOut);
        sameLength("softmaxBackward", p, dIn);
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double s = 0;
            for (int j = 0; j < c; j++) s += p.get(o + j) * dOut.get(o + j);
            for (int j = 0; j < c; j++) dIn.set(o + j, p.get(o + j) * (dOut.get(o + j) - s));
        }
    }

    // ------------------------------------------------------------------ shape helpers

    /** Rows of a 2-D array (clear error otherwise). */
    public static int rows(INDArray a) {
        if (a.rank() != 2) throw new IllegalArgumentException("expected a 2-D [rows, cols] array, got rank " + a.rank());
        return (int) a.size(0);
    }

    public static int cols(INDArray a) {
        if (a.rank() != 2) throw new IllegalArgumentException("expected a 2-D [rows, cols] array, got rank " + a.rank());
        return (int) a.size(1);
    }

    private static void sameLength(String what, Mem a, Mem b) {
        if (a.length != b.length) throw new IllegalArgumentException(what + ": lengths differ " + a.length + " vs " + b.length);
    }
}
