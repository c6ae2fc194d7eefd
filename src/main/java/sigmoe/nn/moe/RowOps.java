package sigmoe.nn.moe;

import sigmoe.nn.RowParallel;
import java.lang.ref.Reference;
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
 * The row-wise Java loops of the σ-MoE layer: gather an expert's token rows, ReLU + gate, the gate's backward, and
 * the per-token combine of the expert output rows.
 * FLOAT arrays take a Vector API path on the arrays' own off-heap memory (nd4j-only.md §5b/§7); DOUBLE arrays (the
 * gradient checks) take the generic {@link Mem} path. Both compute the same thing.
 * Arrays are contiguous c-order 2-D arrays or row-range views, addressed by local row index, width {@code w};
 * per-row side arrays (indices, gates) are read from position {@code from}.
 */
final class RowOps {
    private RowOps() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /**
     * The root buffer of {@code a} in native order (asNio() ignores the view offset; callers add {@link #base}).
     * Callers keep {@code a} reachable (Reference.reachabilityFence) while they use the view.
     */
    static ByteBuffer bytes(INDArray a) {
        return a.data().asNio().order(NATIVE);
    }

    /** Byte position of element 0 of {@code a} in {@link #bytes(INDArray)}. */
    static int base(INDArray a) {
        return Math.toIntExact(a.offset() * a.dataType().width());
    }

    static boolean isFloat(INDArray a) { return a.dataType() == DataType.FLOAT; }

    /** Rows per parallel block: enough elements (≈64k) that a block outweighs the fork-join overhead. */
    private static int minRows(int w) { return Math.max(1, 65536 / Math.max(1, w)); }

    /** Runs body over [0, n) in parallel row blocks, or on the calling thread (an expert worker's own rows). */
    private static void rows(boolean par, int n, int minBlock, RowParallel.Range body) {
        if (par) RowParallel.forRange(n, minBlock, body);
        else body.run(0, n);
    }

    /** dst row r = src row idx[from + r], r in [0, count). Bulk byte copies: one code path for FLOAT and DOUBLE. */
    static void gatherRows(INDArray src, int[] idx, int from, int count, INDArray dst, int w) {
        gatherRows(src, idx, from, count, dst, w, true);
    }

    /** As above, in parallel blocks when {@code par}, else on the calling thread. */
    static void gatherRows(INDArray src, int[] idx, int from, int count, INDArray dst, int w, boolean par) {
        ByteBuffer s = bytes(src), d = bytes(dst);
        int sb = base(src), db = base(dst);
        int rowBytes = w * src.dataType().width();
        rows(par, count, minRows(w), (lo, hi) -> {
            for (int r = lo; r < hi; r++) d.put(db + r * rowBytes, s, sb + idx[from + r] * rowBytes, rowBytes);
        });
        Reference.reachabilityFence(src); Reference.reachabilityFence(dst);
    }

    /**
     * Combine: out[t] (=, or += when {@code accumulate}) Σ_j disp[slotRow[t·K + j]] for tokens t in [0, n), skipping
     * empty slots (-1). A pull by destination row: each output row is written once, in slot order, so it is
     * deterministic and needs no atomics (ND4J's scatter_add races, nd4j-only.md §6); it also moves fewer bytes than
     * adding each expert's rows into the output in turn.
     */
    static void combine(INDArray disp, int[] slotRow, int n, int k, INDArray out, int w, boolean accumulate) {
        if (!isFloat(out)) {
            Mem dm = Mem.of(disp), om = Mem.of(out);
            for (int t = 0; t < n; t++) {
                int o = t * w;
                if (!accumulate) for (int c = 0; c < w; c++) om.set(o + c, 0);
                for (int j = 0; j < k; j++) {
                    int r = slotRow[t * k + j];
                    if (r >= 0) for (int c = 0; c < w; c++) om.add(o + c, dm.get(r * w + c));
                }
            }
        } else {
            combineF(bytes(disp), base(disp), slotRow, n, k, bytes(out), base(out), w, accumulate);
        }
        Reference.reachabilityFence(disp); Reference.reachabilityFence(out);
    }

    private static void combineF(ByteBuffer db, int d0, int[] slotRow, int n, int k, ByteBuffer ob, int o0, int w,
                                 boolean accumulate) {
        int bound = S.loopBound(w);
        RowParallel.forRange(n, minRows(w * k), (lo, hi) -> {
            for (int t = lo; t < hi; t++) {
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
        });
    }

    /**
     * In place H = ReLU(H) and U = gate[from + r]·H for rows [0, rows) (the expert hidden units
     * u_e = s_e·ReLU(x W1[e]), paper.md §1.2). With {@code u == null} only the ReLU is applied.
     */
    static void reluGate(INDArray h, INDArray u, double[] gate, int from, int rows, int w) {
        reluGate(h, u, gate, from, rows, w, true, true);
    }

    /** As above, in parallel blocks when {@code par}, else on the calling thread. */
    static void reluGate(INDArray h, INDArray u, double[] gate, int from, int rows, int w, boolean par) {
        reluGate(h, u, gate, from, rows, w, true, par);
    }

    /** U = gate[from + r]·H only, for an H that is already ReLU'd (backward recomputes U instead of caching it). */
    static void gate(INDArray h, INDArray u, double[] gate, int from, int rows, int w) {
        reluGate(h, u, gate, from, rows, w, false, true);
    }

    /** As above, in parallel blocks when {@code par}, else on the calling thread. */
    static void gate(INDArray h, INDArray u, double[] gate, int from, int rows, int w, boolean par) {
        reluGate(h, u, gate, from, rows, w, false, par);
    }

    private static void reluGate(INDArray h, INDArray u, double[] gate, int from, int rows, int w, boolean writeH,
                                 boolean par) {
        if (isFloat(h)) {
            ByteBuffer hb = bytes(h), ub = u == null ? null : bytes(u);
            int h0 = base(h), u0 = u == null ? 0 : base(u);
            rows(par, rows, minRows(w), (lo, hi) -> reluGateF(hb, h0, ub, u0, gate, from, lo, hi, w, writeH));
        } else {
            Mem hm = Mem.of(h);
            Mem um = u == null ? null : Mem.of(u);
            for (int r = 0; r < rows; r++) {
                int o = r * w;
                double g = u == null ? 0 : gate[from + r];
                for (int c = 0; c < w; c++) {
                    double v = Math.max(hm.get(o + c), 0);
                    if (writeH) hm.set(o + c, v);
                    if (um != null) um.set(o + c, g * v);
                }
            }
        }
        Reference.reachabilityFence(h); Reference.reachabilityFence(u);
    }

    private static void reluGateF(ByteBuffer hb, int h0, ByteBuffer ub, int u0, double[] gate, int from, int lo, int hi,
                                  int w, boolean writeH) {
        int bound = S.loopBound(w);
        for (int r = lo; r < hi; r++) {
            int ho = h0 + 4 * r * w, uo = u0 + 4 * r * w;
            float g = ub == null ? 0f : (float) gate[from + r];
            int c = 0;
            for (; c < bound; c += S.length()) {
                FloatVector v = FloatVector.fromByteBuffer(S, hb, ho + 4 * c, NATIVE).lanewise(VectorOperators.MAX, 0f);
                if (writeH) v.intoByteBuffer(hb, ho + 4 * c, NATIVE);
                if (ub != null) v.mul(g).intoByteBuffer(ub, uo + 4 * c, NATIVE);
            }
            for (; c < w; c++) {
                float v = Math.max(hb.getFloat(ho + 4 * c), 0f);
                if (writeH) hb.putFloat(ho + 4 * c, v);
                if (ub != null) ub.putFloat(uo + 4 * c, g * v);
            }
        }
    }

    /**
     * Backward of u = g·ReLU(a) for rows [0, rows): dgate[from + r] = Σ_c dU⊙H (H = ReLU(a) already), and in place
     * dU ← g·dU where H > 0, else 0 (= dA, the gradient at the pre-activation). With {@code dgate == null} the gate
     * is a constant (the unit-gate test switch, or the dense benchmark) and only dA is formed.
     */
    static void gateBackward(INDArray du, INDArray h, double[] gate, double[] dgate, int from, int rows, int w) {
        gateBackward(du, h, gate, dgate, from, rows, w, true);
    }

    /** As above, in parallel blocks when {@code par}, else on the calling thread. */
    static void gateBackward(INDArray du, INDArray h, double[] gate, double[] dgate, int from, int rows, int w, boolean par) {
        if (isFloat(du)) {
            ByteBuffer db = bytes(du), hb = bytes(h);
            int d0 = base(du), h0 = base(h);
            rows(par, rows, minRows(w), (lo, hi) -> gateBackwardF(db, d0, hb, h0, gate, dgate, from, lo, hi, w));
        } else {
            Mem dm = Mem.of(du), hm = Mem.of(h);
            for (int r = 0; r < rows; r++) {
                int o = r * w;
                double g = gate[from + r], acc = 0;
                for (int c = 0; c < w; c++) {
                    double hv = hm.get(o + c), dv = dm.get(o + c);
                    acc += dv * hv;
                    dm.set(o + c, hv > 0 ? g * dv : 0);
                }
                if (dgate != null) dgate[from + r] = acc;
            }
        }
        Reference.reachabilityFence(du); Reference.reachabilityFence(h);
    }

    private static void gateBackwardF(ByteBuffer db, int d0, ByteBuffer hb, int h0, double[] gate, double[] dgate,
                                      int from, int lo, int hi, int w) {
        int bound = S.loopBound(w);
        FloatVector zero = FloatVector.zero(S);
        for (int r = lo; r < hi; r++) {
            int dof = d0 + 4 * r * w, hof = h0 + 4 * r * w;
            float g = (float) gate[from + r];
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
                dgate[from + r] = s;
            }
        }
    }

    /** counts[countOffset + c] += number of rows in [0, rows) with h[r, c] > 0 (the active-channel statistic). */
    static void countPositive(INDArray h, int rows, int w, long[] counts, int countOffset) {
        if (isFloat(h)) {
            ByteBuffer hb = bytes(h);
            int h0 = base(h);
            int bound = S.loopBound(w);
            // float partials are exact: one call adds at most rows < 2^24 per channel
            float[] part = new float[w];
            FloatVector one = FloatVector.broadcast(S, 1f), zero = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                int ho = h0 + 4 * r * w;
                int c = 0;
                for (; c < bound; c += S.length()) {
                    VectorMask<Float> on = FloatVector.fromByteBuffer(S, hb, ho + 4 * c, NATIVE).compare(VectorOperators.GT, 0f);
                    FloatVector.fromArray(S, part, c).add(zero.blend(one, on)).intoArray(part, c);
                }
                for (; c < w; c++) if (hb.getFloat(ho + 4 * c) > 0f) part[c] += 1f;
            }
            for (int c = 0; c < w; c++) counts[countOffset + c] += (long) part[c];
        } else {
            Mem hm = Mem.of(h);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < w; c++) if (hm.get(r * w + c) > 0) counts[countOffset + c]++;
        }
        Reference.reachabilityFence(h);
    }
}
