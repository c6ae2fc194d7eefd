package sigmoe.nn;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The FLOAT fast path of {@link Kernels}: JDK Vector API loops directly on ND4J's off-heap memory (one native-order
 * {@code ByteBuffer} over the root buffer, addressed at {@code 4·offset} because {@code asNio()} ignores a view's
 * offset, nd4j-only.md §6.6). Only {@link Kernels} calls these, after checking every argument is FLOAT; the generic
 * {@code Mem} loops there are the reference these are tested against. Sums over a row are accumulated in float lanes
 * (as PyTorch does on the GPU); the per-column LayerNorm parameter-gradient sums are flushed to double every
 * {@value #FLUSH} rows so that long batches do not lose precision.
 */
final class VecKernels {
    private VecKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final int FLUSH = 256;

    /** Callers keep {@code a} reachable (Reference.reachabilityFence) while they use the view. */
    private static ByteBuffer buf(INDArray a) {
        if (!Mem.isContiguous(a)) throw new IllegalArgumentException("kernel needs contiguous c-order arrays");
        return a.data().asNio().order(NO);
    }

    private static int base(INDArray a) { return Math.toIntExact(4 * a.offset()); }

    private static FloatVector load(ByteBuffer b, int byteIndex) { return FloatVector.fromByteBuffer(S, b, byteIndex, NO); }

    /** A small parameter vector (γ, β) copied to the heap once per call: cheaper to index than the ByteBuffer. */
    static float[] heap(INDArray a) {
        float[] f = new float[(int) a.length()];
        FloatBuffer fb = a.data().asNioFloat();
        int off = Math.toIntExact(a.offset());
        for (int i = 0; i < f.length; i++) f[i] = fb.get(off + i);
        Reference.reachabilityFence(a);
        return f;
    }

    private static void addHeap(INDArray acc, double[] s) {
        FloatBuffer fb = acc.data().asNioFloat();
        int off = Math.toIntExact(acc.offset());
        for (int i = 0; i < s.length; i++) fb.put(off + i, (float) (fb.get(off + i) + s[i]));
        Reference.reachabilityFence(acc);
    }

    static void mul(INDArray a, INDArray b, INDArray out) {
        if (a.length() != b.length() || a.length() != out.length())
            throw new IllegalArgumentException("mul: lengths differ " + a.length() + ", " + b.length() + ", " + out.length());
        ByteBuffer ab = buf(a), bb = buf(b), ob = buf(out);
        int ao = base(a), bo = base(b), oo = base(out), n = (int) a.length(), bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) load(ab, ao + 4 * i).mul(load(bb, bo + 4 * i)).intoByteBuffer(ob, oo + 4 * i, NO);
        for (; i < n; i++) ob.putFloat(oo + 4 * i, ab.getFloat(ao + 4 * i) * bb.getFloat(bo + 4 * i));
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    static void add(INDArray a, INDArray b, INDArray out) {
        ByteBuffer ab = buf(a), bb = buf(b), ob = buf(out);
        int ao = base(a), bo = base(b), oo = base(out), n = (int) a.length(), bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) load(ab, ao + 4 * i).add(load(bb, bo + 4 * i)).intoByteBuffer(ob, oo + 4 * i, NO);
        for (; i < n; i++) ob.putFloat(oo + 4 * i, ab.getFloat(ao + 4 * i) + bb.getFloat(bo + 4 * i));
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    /** n floats from src (element srcAt of the array) to dst (element dstAt): a bulk copy (memcpy), no overlap. */
    static void copy(INDArray src, int srcAt, INDArray dst, int dstAt, int n) {
        FloatBuffer s = src.data().asNioFloat().duplicate(), d = dst.data().asNioFloat().duplicate();
        int so = Math.toIntExact(src.offset()) + srcAt, dO = Math.toIntExact(dst.offset()) + dstAt;
        s.limit(so + n).position(so);
        d.position(dO);
        d.put(s);
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    static void relu(INDArray a) {
        ByteBuffer b = buf(a);
        int o = base(a), n = (int) a.length(), bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) load(b, o + 4 * i).lanewise(VectorOperators.MAX, 0f).intoByteBuffer(b, o + 4 * i, NO);
        for (; i < n; i++) { float v = b.getFloat(o + 4 * i); if (v < 0) b.putFloat(o + 4 * i, 0f); }
        Reference.reachabilityFence(a);
    }

    static void reluBackward(INDArray dy, INDArray y) {
        if (dy.length() != y.length()) throw new IllegalArgumentException("reluBackward: lengths differ " + dy.length() + " vs " + y.length());
        ByteBuffer db = buf(dy), yb = buf(y);
        int dO = base(dy), yo = base(y), n = (int) dy.length(), bound = S.loopBound(n), i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i < bound; i += L) {
            VectorMask<Float> on = load(yb, yo + 4 * i).compare(VectorOperators.GT, 0f);
            zero.blend(load(db, dO + 4 * i), on).intoByteBuffer(db, dO + 4 * i, NO);
        }
        for (; i < n; i++) if (!(yb.getFloat(yo + 4 * i) > 0)) db.putFloat(dO + 4 * i, 0f);
        Reference.reachabilityFence(dy);
        Reference.reachabilityFence(y);
    }

    private static float rowMax(ByteBuffer b, int ro, int c, int bound) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += L) m = m.max(load(b, ro + 4 * j));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; j < c; j++) max = Math.max(max, b.getFloat(ro + 4 * j));
        return max;
    }

    static void scale(INDArray a, float alpha) {
        ByteBuffer b = buf(a);
        int o = base(a), n = (int) a.length(), bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) load(b, o + 4 * i).mul(alpha).intoByteBuffer(b, o + 4 * i, NO);
        for (; i < n; i++) b.putFloat(o + 4 * i, b.getFloat(o + 4 * i) * alpha);
        Reference.reachabilityFence(a);
    }

    static void axpy(float alpha, INDArray x, INDArray y) {
        if (x.length() != y.length()) throw new IllegalArgumentException("axpy: lengths differ " + x.length() + " vs " + y.length());
        ByteBuffer xb = buf(x), yb = buf(y);
        int xo = base(x), yo = base(y), n = (int) x.length(), bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) load(xb, xo + 4 * i).mul(alpha).add(load(yb, yo + 4 * i)).intoByteBuffer(yb, yo + 4 * i, NO);
        for (; i < n; i++) yb.putFloat(yo + 4 * i, yb.getFloat(yo + 4 * i) + alpha * xb.getFloat(xo + 4 * i));
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
    }

    static void addBiasRows(INDArray y, INDArray bias, int n, int c) {
        ByteBuffer yb = buf(y);
        int yo = base(y), bound = S.loopBound(c);
        float[] bv = heap(bias);
        for (int r = 0; r < n; r++) {
            int yr = yo + 4 * r * c, j = 0;
            for (; j < bound; j += L) load(yb, yr + 4 * j).add(FloatVector.fromArray(S, bv, j)).intoByteBuffer(yb, yr + 4 * j, NO);
            for (; j < c; j++) yb.putFloat(yr + 4 * j, yb.getFloat(yr + 4 * j) + bv[j]);
        }
        Reference.reachabilityFence(y);
    }

    static void addColumnSums(INDArray a, INDArray acc, int n, int c) {
        ByteBuffer ab = buf(a);
        int ao = base(a), bound = S.loopBound(c);
        float[] part = new float[c];
        double[] tot = new double[c];
        for (int r = 0; r < n; r++) {
            int ar = ao + 4 * r * c, j = 0;
            for (; j < bound; j += L) load(ab, ar + 4 * j).add(FloatVector.fromArray(S, part, j)).intoArray(part, j);
            for (; j < c; j++) part[j] += ab.getFloat(ar + 4 * j);
            if ((r + 1) % FLUSH == 0 || r == n - 1) for (int k = 0; k < c; k++) { tot[k] += part[k]; part[k] = 0; }
        }
        Reference.reachabilityFence(a);
        addHeap(acc, tot);
    }

    /*
     * Determinism: the Vector API's reduceLanes(ADD) and lanewise(EXP) give different bits in the interpreter, C1 and
     * C2 (reduction order; SVML vs Math.exp), so a run's result would depend on JIT timing (a resumed run differed
     * from the uninterrupted one). Lane sums here run in lane order, and exp is a polynomial of plain IEEE
     * operations, so every tier computes the same bits.
     */

    /**
     * Σ of the lanes, in lane order (0 + lane 0 + lane 1 + …, as a loop over the lanes would add them). Constant lane
     * indices compile to register extracts; the earlier version stored the lanes into a ThreadLocal scratch array,
     * whose lookup missed its hash slot on Spark's task threads (8–9% of their Java samples, docs/performance.md).
     */
    static float sumLanes(FloatVector v) {
        switch (L) {
            case 16:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7)
                        + v.lane(8) + v.lane(9) + v.lane(10) + v.lane(11) + v.lane(12) + v.lane(13) + v.lane(14) + v.lane(15);
            case 8:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
            case 4:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3);
            default: {
                float s = 0;
                for (int i = 0; i < L; i++) s += v.lane(i);
                return s;
            }
        }
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2^23: (t + ROUND) − ROUND rounds t to an integer
    private static final float EXP_LO = -87.33654f, EXP_HI = 88.0f;

    /**
     * e^x per lane (relative error below 2e-7 on [−87, 88]); lanes below −87.3 (−∞ included: masked scores) give
     * 0. Range reduction x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built in the exponent.
     */
    static FloatVector exp(FloatVector x) {
        var underflow = x.compare(VectorOperators.LT, EXP_LO);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        p = p.mul(r.mul(r)).add(r).add(1f);
        var bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = bits.reinterpretAsFloats();
        return p.mul(scale).blend(0f, underflow);
    }

    static void softmaxRows(INDArray a, double[] lse) {
        ByteBuffer b = buf(a);
        int n = Kernels.rows(a), c = Kernels.cols(a), o = base(a), bound = S.loopBound(c);
        for (int r = 0; r < n; r++) {
            int ro = o + 4 * r * c;
            float max = rowMax(b, ro, c, bound);
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector e = exp(load(b, ro + 4 * j).sub(max));
                e.intoByteBuffer(b, ro + 4 * j, NO);
                acc = acc.add(e);
            }
            float sum = sumLanes(acc);
            for (; j < c; j++) { float e = (float) Math.exp(b.getFloat(ro + 4 * j) - max); b.putFloat(ro + 4 * j, e); sum += e; }
            float inv = 1f / sum;
            j = 0;
            for (; j < bound; j += L) load(b, ro + 4 * j).mul(inv).intoByteBuffer(b, ro + 4 * j, NO);
            for (; j < c; j++) b.putFloat(ro + 4 * j, b.getFloat(ro + 4 * j) * inv);
            if (lse != null) lse[r] = max + Math.log(sum);
        }
        Reference.reachabilityFence(a);
    }

    static void logSoftmaxRows(INDArray a) {
        ByteBuffer b = buf(a);
        int n = Kernels.rows(a), c = Kernels.cols(a), o = base(a), bound = S.loopBound(c);
        for (int r = 0; r < n; r++) {
            int ro = o + 4 * r * c;
            float max = rowMax(b, ro, c, bound);
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) acc = acc.add(exp(load(b, ro + 4 * j).sub(max)));
            double sum = sumLanes(acc);
            for (; j < c; j++) sum += Math.exp(b.getFloat(ro + 4 * j) - max);
            float lse = (float) (max + Math.log(sum));
            j = 0;
            for (; j < bound; j += L) load(b, ro + 4 * j).sub(lse).intoByteBuffer(b, ro + 4 * j, NO);
            for (; j < c; j++) b.putFloat(ro + 4 * j, b.getFloat(ro + 4 * j) - lse);
        }
        Reference.reachabilityFence(a);
    }

    static void softmaxBackwardRows(INDArray p, INDArray dOut, INDArray dIn) {
        int n = Kernels.rows(p), c = Kernels.cols(p);
        if (Kernels.rows(dOut) != n || Kernels.cols(dOut) != c || Kernels.rows(dIn) != n || Kernels.cols(dIn) != c)
            throw new IllegalArgumentException("softmaxBackward: shapes differ");
        ByteBuffer pb = buf(p), gb = buf(dOut), ib = buf(dIn);
        int po = base(p), go = base(dOut), io = base(dIn), bound = S.loopBound(c);
        for (int r = 0; r < n; r++) {
            int pr = po + 4 * r * c, gr = go + 4 * r * c, ir = io + 4 * r * c;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) acc = load(pb, pr + 4 * j).fma(load(gb, gr + 4 * j), acc);
            float s = sumLanes(acc);
            for (; j < c; j++) s += pb.getFloat(pr + 4 * j) * gb.getFloat(gr + 4 * j);
            j = 0;
            for (; j < bound; j += L)
                load(pb, pr + 4 * j).mul(load(gb, gr + 4 * j).sub(s)).intoByteBuffer(ib, ir + 4 * j, NO);
            for (; j < c; j++) ib.putFloat(ir + 4 * j, pb.getFloat(pr + 4 * j) * (gb.getFloat(gr + 4 * j) - s));
        }
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(dOut);
        Reference.reachabilityFence(dIn);
    }

    static void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, INDArray y, INDArray xhat,
                                 double[] mean, double[] rstd, int n, int d) {
        ByteBuffer xb = buf(x), yb = buf(y), hb = buf(xhat);
        int xo = base(x), yo = base(y), ho = base(xhat);
        float[] g = heap(gamma), be = heap(beta);
        RowParallel.forRange(n, 128, (lo, hi) -> {
            for (int r = lo; r < hi; r++)
                layerNormRow(xb, xo + 4 * r * d, yb, yo + 4 * r * d, hb, ho + 4 * r * d, g, be, eps, mean, rstd, r, d);
        });
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(xhat);
    }

    private static void layerNormRow(ByteBuffer xb, int xr, ByteBuffer yb, int yr, ByteBuffer hb, int hr, float[] g,
                                     float[] be, double eps, double[] mean, double[] rstd, int r, int d) {
        int bound = S.loopBound(d);
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < bound; j += L) acc = acc.add(load(xb, xr + 4 * j));
        float s = sumLanes(acc);
        for (; j < d; j++) s += xb.getFloat(xr + 4 * j);
        float mu = s / d;
        acc = FloatVector.zero(S);
        j = 0;
        for (; j < bound; j += L) { FloatVector t = load(xb, xr + 4 * j).sub(mu); acc = t.fma(t, acc); }
        float v = sumLanes(acc);
        for (; j < d; j++) { float t = xb.getFloat(xr + 4 * j) - mu; v += t * t; }
        double rsD = 1 / Math.sqrt((double) v / d + eps);
        float rs = (float) rsD;
        mean[r] = mu;
        rstd[r] = rsD;
        j = 0;
        for (; j < bound; j += L) {
            FloatVector h = load(xb, xr + 4 * j).sub(mu).mul(rs);
            h.intoByteBuffer(hb, hr + 4 * j, NO);
            h.fma(FloatVector.fromArray(S, g, j), FloatVector.fromArray(S, be, j)).intoByteBuffer(yb, yr + 4 * j, NO);
        }
        for (; j < d; j++) {
            float h = (xb.getFloat(xr + 4 * j) - mu) * rs;
            hb.putFloat(hr + 4 * j, h);
            yb.putFloat(yr + 4 * j, h * g[j] + be[j]);
        }
    }

    static void layerNormBackward(INDArray dy, INDArray xhat, double[] rstd, INDArray gamma, INDArray dx,
                                  INDArray dGamma, INDArray dBeta, int n, int d) {
        ByteBuffer db = buf(dy), hb = buf(xhat), xb = buf(dx);
        int dO = base(dy), ho = base(xhat), xo = base(dx), chunks = (n + FLUSH - 1) / FLUSH;
        float[] g = heap(gamma);
        // float partials per fixed chunk of FLUSH rows, added in double in chunk order: the same bits for any number
        // of threads (and as the sequential loop that flushed every FLUSH rows)
        float[][] sg = new float[chunks][d], sb = new float[chunks][d];
        RowParallel.forRange(chunks, 1, (k0, k1) -> {
            for (int k = k0; k < k1; k++)
                for (int r = k * FLUSH, end = Math.min(n, r + FLUSH); r < end; r++)
                    layerNormBackwardRow(db, dO + 4 * r * d, hb, ho + 4 * r * d, xb, xo + 4 * r * d, g, (float) rstd[r], sg[k], sb[k], d);
        });
        Reference.reachabilityFence(dy);
        Reference.reachabilityFence(xhat);
        Reference.reachabilityFence(dx);
        double[] tg = new double[d], tb = new double[d];
        for (int k = 0; k < chunks; k++) for (int j = 0; j < d; j++) { tg[j] += sg[k][j]; tb[j] += sb[k][j]; }
        addHeap(dGamma, tg);
        addHeap(dBeta, tb);
    }

    private static void layerNormBackwardRow(ByteBuffer db, int dr, ByteBuffer hb, int hr, ByteBuffer xb, int xr, float[] g,
                                             float rs, float[] sg, float[] sb, int d) {
        int bound = S.loopBound(d);
        FloatVector a1 = FloatVector.zero(S), a2 = FloatVector.zero(S);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector dyv = load(db, dr + 4 * j), h = load(hb, hr + 4 * j);
            FloatVector gv = dyv.mul(FloatVector.fromArray(S, g, j));
            a1 = a1.add(gv);
            a2 = gv.fma(h, a2);
            dyv.fma(h, FloatVector.fromArray(S, sg, j)).intoArray(sg, j);
            dyv.add(FloatVector.fromArray(S, sb, j)).intoArray(sb, j);
        }
        float s1 = sumLanes(a1), s2 = sumLanes(a2);
        for (; j < d; j++) {
            float dyj = db.getFloat(dr + 4 * j), h = hb.getFloat(hr + 4 * j), gj = dyj * g[j];
            s1 += gj;
            s2 += gj * h;
            sg[j] += dyj * h;
            sb[j] += dyj;
        }
        float m1 = s1 / d, m2 = s2 / d;
        j = 0;
        for (; j < bound; j += L) {
            FloatVector gv = load(db, dr + 4 * j).mul(FloatVector.fromArray(S, g, j));
            gv.sub(m1).sub(load(hb, hr + 4 * j).mul(m2)).mul(rs).intoByteBuffer(xb, xr + 4 * j, NO);
        }
        for (; j < d; j++) {
            float gj = db.getFloat(dr + 4 * j) * g[j];
            xb.putFloat(xr + 4 * j, rs * (gj - m1 - hb.getFloat(hr + 4 * j) * m2));
        }
    }
}
