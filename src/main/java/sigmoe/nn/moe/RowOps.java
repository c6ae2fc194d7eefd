package sigmoe.nn.moe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;

/**
 * The row-wise Java loops of the σ-MoE layer: gather into the dispatch buffer, ReLU + gate, the gate's backward,
 * and the combine (scatter-add by destination row, so it is race-free and deterministic).
 * FLOAT arrays take a Vector API path on the arrays' own off-heap memory (nd4j-only.md §5b/§7); DOUBLE arrays (the
 * gradient checks) take the generic {@link Mem} path. Both compute the same thing.
 * Every array is a contiguous c-order 2-D array or row-range view; rows are addressed by index, width {@code w}.
 */
final class RowOps {
    private RowOps() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** The root buffer of {@code a} in native order (asNio() ignores the view offset; callers add it). */
    static ByteBuffer bytes(INDArray a) {
        return a.data().asNio().order(NATIVE);
    }

    /** Byte position of element 0 of {@code a} in {@link #bytes(INDArray)}. */
    static int base(INDArray a) {
        return Math.toIntExact(a.offset() * a.dataType().width());
    }

    static boolean isFloat(INDArray a) { return a.dataType() == DataType.FLOAT; }

    /** dst row r = src row idx[r], for r in [0, count). Bulk byte copies: one code path for FLOAT and DOUBLE. */
    static void gatherRows(INDArray src, int[] idx, int count, INDArray dst, int w) {
        ByteBuffer s = bytes(src), d = bytes(dst);
        int sb = base(src), db = base(dst);
        int rowBytes = w * src.dataType().width();
        for (int r = 0; r < count; r++)
            d.put(db + r * rowBytes, s, sb + idx[r] * rowBytes, rowBytes);
    }

    /**
     * In place H = ReLU(H) and U = gate[r]·H for rows [0, rows) (forward of the expert hidden units:
     * u_e = s_e·ReLU(x W1[e]), paper.md §1.2). With {@code u == null} only the ReLU is applied.
     */
    static void reluGate(INDArray h, INDArray u, double[] gate, int rows, int w) {
        if (isFloat(h)) { reluGateF(h, u, gate, rows, w); return; }
        Mem hm = Mem.of(h);
        Mem um = u == null ? null : Mem.of(u);
        for (int r = 0; r < rows; r++) {
            int o = r * w;
            double g = u == null ? 0 : gate[r];
            for (int c = 0; c < w; c++) {
                double v = Math.max(hm.get(o + c), 0);
                hm.set(o + c, v);
                if (um != null) um.set(o + c, g * v);
            }
        }
    }

    private static void reluGateF(INDArray h, INDArray u, double[] gate, int rows, int w) {
        ByteBuffer hb = bytes(h), ub = u == null ? null : bytes(u);
        int h0 = base(h), u0 = u == null ? 0 : base(u);
        int bound = S.loopBound(w);
        for (int r = 0; r < rows; r++) {
            int ho = h0 + 4 * r * w, uo = u0 + 4 * r * w;
            float g = u == null ? 0f : (float) gate[r];
            int c = 0;
            for (; c < bound; c += S.length()) {
                FloatVector v = FloatVector.fromByteBuffer(S, hb, ho + 4 * c, NATIVE).lanewise(VectorOperators.MAX, 0f);
                v.intoByteBuffer(hb, ho + 4 * c, NATIVE);
                if (ub != null) v.mul(g).intoByteBuffer(ub, uo + 4 * c, NATIVE);
            }
            for (; c < w; c++) {
                float v = Math.max(hb.getFloat(ho + 4 * c), 0f);
                hb.putFloat(ho + 4 * c, v);
                if (ub != null) ub.putFloat(uo + 4 * c, g * v);
            }
        }
    }

    /**
     * Backward of u = g·ReLU(a) for rows [r0, r1): dgate[r] = Σ_c dU⊙H (H = ReLU(a) already), and in place
     * dU ← g·dU where H > 0, else 0 (= dA, the gradient at the pre-activation). With {@code dgate == null} the gate
     * is a constant (the unit-gate test switch) and only dA is formed.
     */
    static void gateBackward(INDArray du, INDArray h, double[] gate, double[] dgate, int r0, int r1, int w) {
        if (isFloat(du)) { gateBackwardF(du, h, gate, dgate, r0, r1, w); return; }
        Mem dm = Mem.of(du), hm = Mem.of(h);
        for (int r = r0; r < r1; r++) {
            int o = r * w;
            double g = gate[r], acc = 0;
            for (int c = 0; c < w; c++) {
                double hv = hm.get(o + c), dv = dm.get(o + c);
                acc += dv * hv;
                dm.set(o + c, hv > 0 ? g * dv : 0);
            }
            if (dgate != null) dgate[r] = acc;
        }
    }

    private static void gateBackwardF(INDArray du, INDArray h, double[] gate, double[] dgate, int r0, int r1, int w) {
        ByteBuffer db = bytes(du), hb = bytes(h);
        int d0 = base(du), h0 = base(h);
        int bound = S.loopBound(w);
        FloatVector zero = FloatVector.zero(S);
        for (int r = r0; r < r1; r++) {
            int dof = d0 + 4 * r * w, hof = h0 + 4 * r * w;
            float g = (float) gate[r];
            FloatVector acc = zero;
            int c = 0;
            for (; c < bound; c += S.length()) {
                FloatVector dv = FloatVector.fromByteBuffer(S, db, dof + 4 * c, NATIVE);
                FloatVector hv = FloatVector.fromByteBuffer(S, hb, hof + 4 * c, NATIVE);
                acc = dv.fma(hv, acc);
                VectorMask<Float> on = hv.compare(VectorOperators.GT, 0f);
                zero.blend(dv.mul(g), on).intoByteBuffer(db, dof + 4 * c, NATIVE);
            }
            double tail = 0;
            for (; c < w; c++) {
                float dv = db.getFloat(dof + 4 * c), hv = hb.getFloat(hof + 4 * c);
                tail += dv * hv;
                db.putFloat(dof + 4 * c, hv > 0 ? g * dv : 0f);
            }
            if (dgate != null) {
                // lanes summed in order: reduceLanes(ADD) may associate differently in interpreted and compiled code
                double s = tail;
                for (int i = 0; i < S.length(); i++) s += acc.lane(i);
                dgate[r] = s;
            }
        }
    }

    /**
     * Combine: for tokens t in [0, n), out[t] (=, or += when {@code accumulate}) Σ_k disp[slotRow[t·K+k]], skipping
     * empty slots (-1). Each destination row is written by exactly one iteration, so no races and a fixed summation
     * order (slot order).
     */
    static void combine(INDArray disp, int[] slotRow, int n, int k, INDArray out, int w, boolean accumulate) {
        if (isFloat(out)) { combineF(disp, slotRow, n, k, out, w, accumulate); return; }
        Mem dm = Mem.of(disp), om = Mem.of(out);
        for (int t = 0; t < n; t++) {
            int o = t * w;
            if (!accumulate) for (int c = 0; c < w; c++) om.set(o + c, 0);
            for (int j = 0; j < k; j++) {
                int r = slotRow[t * k + j];
                if (r < 0) continue;
                for (int c = 0; c < w; c++) om.add(o + c, dm.get(r * w + c));
            }
        }
    }

    private static void combineF(INDArray disp, int[] slotRow, int n, int k, INDArray out, int w, boolean accumulate) {
        ByteBuffer db = bytes(disp), ob = bytes(out);
        int d0 = base(disp), o0 = base(out);
        int bound = S.loopBound(w);
        for (int t = 0; t < n; t++) {
            int oo = o0 + 4 * t * w;
            int c = 0;
            for (; c < bound; c += S.length()) {
                FloatVector acc = accumulate ? FloatVector.fromByteBuffer(S, ob, oo + 4 * c, NATIVE) : FloatVector.zero(S);
                for (int j = 0; j < k; j++) {
                    int r = slotRow[t * k + j];
                    if (r >= 0) acc = acc.add(FloatVector.fromByteBuffer(S, db, d0 + 4 * (r * w + c), NATIVE));
                }
                acc.intoByteBuffer(ob, oo + 4 * c, NATIVE);
            }
            for (; c < w; c++) {
                float acc = accumulate ? ob.getFloat(oo + 4 * c) : 0f;
                for (int j = 0; j < k; j++) {
                    int r = slotRow[t * k + j];
                    if (r >= 0) acc += db.getFloat(d0 + 4 * (r * w + c));
                }
                ob.putFloat(oo + 4 * c, acc);
            }
        }
    }

    /** counts[c] += number of rows in [r0, r1) with h[r, c] > 0 (the active-channel statistic). */
    static void countPositive(INDArray h, int r0, int r1, int w, long[] counts, int countOffset) {
        if (isFloat(h)) {
            ByteBuffer hb = bytes(h);
            int h0 = base(h);
            int bound = S.loopBound(w);
            // per-call float partials are exact: one call adds at most r1 - r0 < 2^24 per channel
            float[] part = new float[w];
            FloatVector one = FloatVector.broadcast(S, 1f), zero = FloatVector.zero(S);
            for (int r = r0; r < r1; r++) {
                int ho = h0 + 4 * r * w;
                int c = 0;
                for (; c < bound; c += S.length()) {
                    VectorMask<Float> on = FloatVector.fromByteBuffer(S, hb, ho + 4 * c, NATIVE).compare(VectorOperators.GT, 0f);
                    FloatVector.fromArray(S, part, c).add(zero.blend(one, on)).intoArray(part, c);
                }
                for (; c < w; c++) if (hb.getFloat(ho + 4 * c) > 0f) part[c] += 1f;
            }
            for (int c = 0; c < w; c++) counts[countOffset + c] += (long) part[c];
            return;
        }
        Mem hm = Mem.of(h);
        for (int r = r0; r < r1; r++)
            for (int c = 0; c < w; c++) if (hm.get(r * w + c) > 0) counts[countOffset + c]++;
    }
}
