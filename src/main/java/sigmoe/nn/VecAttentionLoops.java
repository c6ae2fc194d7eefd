package sigmoe.nn;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The FLOAT path of {@link AttentionLoops} on the Vector API, directly on ND4J's memory (addressed at 4·offset, as
 * in {@link VecKernels}), one small method per row so that C2 compiles it early as an ordinary method. Same layouts
 * and results as the generic loops up to float rounding (they compute in double); exp is {@link VecKernels#exp},
 * lane sums {@link VecKernels#sumLanes} in lane order, so every JIT tier gives the same bits.
 *
 * <p>Rows are independent, so they run in {@link RowParallel} blocks; the one reduction (the bias and scale
 * gradients of {@link #queryGradients}) is summed per fixed chunk of {@value #FLUSH} rows and the chunks are added in
 * chunk order, so the bits do not depend on the number of threads.
 */
final class VecAttentionLoops {
    private VecAttentionLoops() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    static final int FLUSH = 256; // rows per chunk: float partials of a column sum, added in double in chunk order
    private static final int MIN_ROWS = 128; // rows per parallel block at least (a row is ~0.5 µs of work)

    /** The root buffer of {@code a}; callers keep {@code a} reachable (Reference.reachabilityFence) while they use the view. */
    private static ByteBuffer buf(INDArray a) {
        if (!Mem.isContiguous(a)) throw new IllegalArgumentException("attention kernel needs contiguous c-order arrays");
        return a.data().asNio().order(NO);
    }

    private static int base(INDArray a) { return Math.toIntExact(4 * a.offset()); }

    private static FloatVector load(ByteBuffer b, int byteIndex) { return FloatVector.fromByteBuffer(S, b, byteIndex, NO); }

    static void splitQueries(INDArray qkv, INDArray qu, INDArray qv, float[] u, float[] v, int nB, int nM, int nT, int inner) {
        ByteBuffer f = buf(qkv), tu = buf(qu), tv = buf(qv);
        int fo = base(qkv), uo = base(qu), vo = base(qv), nL = nM + nT, w3 = 3 * inner;
        RowParallel.forRange(nB * nT, MIN_ROWS, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int from = fo + 4 * ((r / nT) * nL + nM + r % nT) * w3, to = 4 * r * inner;
                splitRow(f, from, tu, uo + to, tv, vo + to, u, v, inner);
            }
        });
        Reference.reachabilityFence(qkv); Reference.reachabilityFence(qu); Reference.reachabilityFence(qv);
    }

    private static void splitRow(ByteBuffer f, int from, ByteBuffer tu, int uo, ByteBuffer tv, int vo, float[] u, float[] v, int inner) {
        int bound = S.loopBound(inner), c = 0;
        for (; c < bound; c += L) {
            FloatVector q = load(f, from + 4 * c);
            q.add(FloatVector.fromArray(S, u, c)).intoByteBuffer(tu, uo + 4 * c, NO);
            q.add(FloatVector.fromArray(S, v, c)).intoByteBuffer(tv, vo + 4 * c, NO);
        }
        for (; c < inner; c++) {
            float q = f.getFloat(from + 4 * c);
            tu.putFloat(uo + 4 * c, q + u[c]);
            tv.putFloat(vo + 4 * c, q + v[c]);
        }
    }

    static void shiftMaskSoftmax(INDArray att, INDArray bd, float scale, int blocks, int nM, int nT) {
        ByteBuffer a = buf(att), p = buf(bd);
        int ao = base(att), po = base(bd), nL = nM + nT;
        RowParallel.forRange(blocks * nT, MIN_ROWS, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int i = r % nT, row = 4 * r * nL;
                softmaxRow(a, ao + row, p, po + row + 4 * (nT - 1 - i), nM + i + 1, nL, scale);
            }
        });
        Reference.reachabilityFence(att); Reference.reachabilityFence(bd);
    }

    /** a[0..vis) := softmax(scale·(a + p)), a[vis..len) := 0; p already points at the shifted position term. */
    private static void softmaxRow(ByteBuffer a, int ar, ByteBuffer p, int pr, int vis, int len, float scale) {
        int bound = S.loopBound(vis), j = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; j < bound; j += L) {
            FloatVector x = load(a, ar + 4 * j).add(load(p, pr + 4 * j)).mul(scale);
            x.intoByteBuffer(a, ar + 4 * j, NO);
            m = m.max(x);
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; j < vis; j++) {
            float x = (a.getFloat(ar + 4 * j) + p.getFloat(pr + 4 * j)) * scale;
            a.putFloat(ar + 4 * j, x);
            max = Math.max(max, x);
        }
        FloatVector acc = FloatVector.zero(S);
        for (j = 0; j < bound; j += L) {
            FloatVector e = VecKernels.exp(load(a, ar + 4 * j).sub(max));
            e.intoByteBuffer(a, ar + 4 * j, NO);
            acc = acc.add(e);
        }
        float sum = VecKernels.sumLanes(acc);
        for (; j < vis; j++) {
            float e = (float) Math.exp(a.getFloat(ar + 4 * j) - max);
            a.putFloat(ar + 4 * j, e);
            sum += e;
        }
        float inv = 1f / sum;
        for (j = 0; j < bound; j += L) load(a, ar + 4 * j).mul(inv).intoByteBuffer(a, ar + 4 * j, NO);
        for (; j < vis; j++) a.putFloat(ar + 4 * j, a.getFloat(ar + 4 * j) * inv);
        zero(a, ar, vis, len);
    }

    private static void zero(ByteBuffer a, int ar, int from, int to) {
        int j = from;
        FloatVector z = FloatVector.zero(S);
        for (; j + L <= to; j += L) z.intoByteBuffer(a, ar + 4 * j, NO);
        for (; j < to; j++) a.putFloat(ar + 4 * j, 0f);
    }

    static void softmaxBackwardUnshift(INDArray att, INDArray ds, INDArray bd, int blocks, int nM, int nT) {
        ByteBuffer a = buf(att), g = buf(ds), p = buf(bd);
        int ao = base(att), go = base(ds), po = base(bd), nL = nM + nT;
        RowParallel.forRange(blocks * nT, MIN_ROWS, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int i = r % nT, row = 4 * r * nL;
                backwardRow(a, ao + row, g, go + row, p, po + row, nM + i + 1, nT - 1 - i, nL);
            }
        });
        Reference.reachabilityFence(att); Reference.reachabilityFence(ds); Reference.reachabilityFence(bd);
    }

    /** g := a ⊙ (g − Σ a·g) on [0, vis), 0 beyond; p[0, shift) := 0, p[shift, len) := g[0, len − shift). */
    private static void backwardRow(ByteBuffer a, int ar, ByteBuffer g, int gr, ByteBuffer p, int pr, int vis, int shift, int len) {
        int bound = S.loopBound(vis), j = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; j < bound; j += L) acc = load(a, ar + 4 * j).fma(load(g, gr + 4 * j), acc);
        float dot = VecKernels.sumLanes(acc);
        for (; j < vis; j++) dot += a.getFloat(ar + 4 * j) * g.getFloat(gr + 4 * j);
        for (j = 0; j < bound; j += L)
            load(a, ar + 4 * j).mul(load(g, gr + 4 * j).sub(dot)).intoByteBuffer(g, gr + 4 * j, NO);
        for (; j < vis; j++) g.putFloat(gr + 4 * j, a.getFloat(ar + 4 * j) * (g.getFloat(gr + 4 * j) - dot));
        zero(g, gr, vis, len);
        zero(p, pr, 0, shift);
        int n = len - shift, nb = S.loopBound(n), k = 0;
        for (; k < nb; k += L) load(g, gr + 4 * k).intoByteBuffer(p, pr + 4 * (shift + k), NO);
        for (; k < n; k++) p.putFloat(pr + 4 * (shift + k), g.getFloat(gr + 4 * k));
    }

    static double queryGradients(INDArray g1, INDArray g2, INDArray qu, INDArray qv, INDArray dqkv, float scale,
                                 double[] du, double[] dv, int nB, int nM, int nT, int inner) {
        ByteBuffer b1 = buf(g1), b2 = buf(g2), bu = buf(qu), bv = buf(qv), bq = buf(dqkv);
        int o1 = base(g1), o2 = base(g2), ou = base(qu), ov = base(qv), oq = base(dqkv), nL = nM + nT, w3 = 3 * inner;
        int rows = nB * nT, chunks = (rows + FLUSH - 1) / FLUSH;
        float[][] pu = new float[chunks][inner], pv = new float[chunks][inner];
        double[] ds = new double[chunks];
        RowParallel.forRange(chunks, 1, (c0, c1) -> {
            for (int k = c0; k < c1; k++)
                for (int r = k * FLUSH, end = Math.min(rows, r + FLUSH); r < end; r++) {
                    int ro = 4 * r * inner, rq = oq + 4 * ((r / nT) * nL + nM + r % nT) * w3;
                    ds[k] += queryRow(b1, o1 + ro, b2, o2 + ro, bu, ou + ro, bv, ov + ro, bq, rq, scale, pu[k], pv[k], inner);
                }
        });
        Reference.reachabilityFence(g1); Reference.reachabilityFence(g2); Reference.reachabilityFence(qu);
        Reference.reachabilityFence(qv); Reference.reachabilityFence(dqkv);
        double dScale = 0;
        for (int k = 0; k < chunks; k++) {
            dScale += ds[k];
            for (int c = 0; c < inner; c++) { du[c] += pu[k][c]; dv[c] += pv[k][c]; }
        }
        return dScale;
    }

    private static float queryRow(ByteBuffer b1, int r1, ByteBuffer b2, int r2, ByteBuffer bu, int ru, ByteBuffer bv, int rv,
                                  ByteBuffer bq, int rq, float scale, float[] pu, float[] pv, int inner) {
        int bound = S.loopBound(inner), c = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; c < bound; c += L) {
            FloatVector a1 = load(b1, r1 + 4 * c), a2 = load(b2, r2 + 4 * c);
            acc = load(bu, ru + 4 * c).fma(a1, acc);
            acc = load(bv, rv + 4 * c).fma(a2, acc);
            a1.add(FloatVector.fromArray(S, pu, c)).intoArray(pu, c);
            a2.add(FloatVector.fromArray(S, pv, c)).intoArray(pv, c);
            a1.add(a2).mul(scale).intoByteBuffer(bq, rq + 4 * c, NO);
        }
        float s = VecKernels.sumLanes(acc);
        for (; c < inner; c++) {
            float a1 = b1.getFloat(r1 + 4 * c), a2 = b2.getFloat(r2 + 4 * c);
            s += bu.getFloat(ru + 4 * c) * a1 + bv.getFloat(rv + 4 * c) * a2;
            pu[c] += a1;
            pv[c] += a2;
            bq.putFloat(rq + 4 * c, (a1 + a2) * scale);
        }
        return s;
    }
}
