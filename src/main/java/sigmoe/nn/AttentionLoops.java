package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element loops of {@link RelativeAttention} (everything between its matrix products). FLOAT runs on the
 * Vector API ({@link VecAttentionLoops}); DOUBLE (gradient checks) and runs without the vector module take the
 * generic loops here, over {@link Mem}, which are also the reference the fast path is tested against. Layouts (see
 * RelativeAttention):
 * qkv [B·L, 3·H·hs] (q | k | v per row, memory rows then segment rows per stream), qu/qv/g1/g2 [B·T, H·hs],
 * scores [H, B, T, L]. Every sum runs in a fixed order, so results do not depend on timing.
 */
final class AttentionLoops {
    private AttentionLoops() {}

    private static boolean fast(INDArray a) { return Kernels.VECTOR && a.dataType() == DataType.FLOAT; }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    static void splitQueries(INDArray qkv, INDArray qu, INDArray qv, double[] u, double[] v, int nB, int nM, int nT, int inner) {
        if (fast(qkv)) VecAttentionLoops.splitQueries(qkv, qu, qv, floats(u), floats(v), nB, nM, nT, inner);
        else splitQueries(Mem.of(qkv), Mem.of(qu), Mem.of(qv), u, v, nB, nM, nT, inner);
        Reference.reachabilityFence(qkv); Reference.reachabilityFence(qu); Reference.reachabilityFence(qv);
    }

    static void shiftMaskSoftmax(INDArray att, INDArray bd, double scale, double[] x, int blocks, int nM, int nT) {
        if (fast(att)) VecAttentionLoops.shiftMaskSoftmax(att, bd, (float) scale, blocks, nM, nT);
        else shiftMaskSoftmax(Mem.of(att), Mem.of(bd), scale, x, blocks, nM, nT);
        Reference.reachabilityFence(att); Reference.reachabilityFence(bd);
    }

    static void softmaxBackwardUnshift(INDArray att, INDArray ds, INDArray bd, int blocks, int nM, int nT) {
        if (fast(att)) VecAttentionLoops.softmaxBackwardUnshift(att, ds, bd, blocks, nM, nT);
        else softmaxBackwardUnshift(Mem.of(att), Mem.of(ds), Mem.of(bd), blocks, nM, nT);
        Reference.reachabilityFence(att); Reference.reachabilityFence(ds); Reference.reachabilityFence(bd);
    }

    static double queryGradients(INDArray g1, INDArray g2, INDArray qu, INDArray qv, INDArray dqkv, double scale,
                                 double[] du, double[] dv, int nB, int nM, int nT, int inner) {
        if (fast(g1)) return VecAttentionLoops.queryGradients(g1, g2, qu, qv, dqkv, (float) scale, du, dv, nB, nM, nT, inner);
        double dScale = queryGradients(Mem.of(g1), Mem.of(g2), Mem.of(qu), Mem.of(qv), Mem.of(dqkv), scale, du, dv, nB, nM, nT, inner);
        Reference.reachabilityFence(g1); Reference.reachabilityFence(g2); Reference.reachabilityFence(qu);
        Reference.reachabilityFence(qv); Reference.reachabilityFence(dqkv);
        return dScale;
    }

    /** qu = q + u and qv = q + v for the segment rows of qkv (u, v: [H·hs]). */
    static void splitQueries(Mem qkv, Mem qu, Mem qv, double[] u, double[] v, int nB, int nM, int nT, int inner) {
        int nL = nM + nT, w3 = 3 * inner;
        for (int b = 0; b < nB; b++)
            for (int i = 0; i < nT; i++) {
                int from = (b * nL + nM + i) * w3, to = (b * nT + i) * inner;
                for (int c = 0; c < inner; c++) {
                    double q = qkv.get(from + c);
                    qu.set(to + c, q + u[c]);
                    qv.set(to + c, q + v[c]);
                }
            }
    }

    /**
     * att[i, j] := softmax_j(scale·(AC[i, j] + BD[i, j + T−1−i])) over the visible keys j ≤ M+i, 0 elsewhere, for
     * every (head, stream) block of att (which holds AC on entry) and bd, both [H·B, T, L].
     */
    static void shiftMaskSoftmax(Mem a, Mem p, double scale, double[] x, int blocks, int nM, int nT) {
        int nL = nM + nT;
        for (int hb = 0; hb < blocks; hb++) {
            for (int i = 0; i < nT; i++) {
                int row = (hb * nT + i) * nL;      // same element index in att and bd
                int shift = nT - 1 - i;
                int visible = nM + i + 1;          // all memory, and the segment up to the query itself
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    x[j] = scale * (a.get(row + j) + p.get(row + j + shift));
                    if (x[j] > max) max = x[j];
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) { x[j] = Math.exp(x[j] - max); sum += x[j]; }
                double inv = 1.0 / sum;
                for (int j = 0; j < visible; j++) a.set(row + j, x[j] * inv);
                for (int j = visible; j < nL; j++) a.set(row + j, 0);
            }
        }
    }

    /**
     * In place over g: dAtt → dS = att ⊙ (dAtt − Σ_j att·dAtt) (zero on masked keys). Then the reverse of the shift
     * into p: dBD[i, ρ] = dS[i, ρ − (T−1−i)], zero for offsets more negative than key 0 (never read).
     */
    static void softmaxBackwardUnshift(Mem a, Mem g, Mem p, int blocks, int nM, int nT) {
        int nL = nM + nT;
        for (int hb = 0; hb < blocks; hb++) {
            for (int i = 0; i < nT; i++) {
                int row = (hb * nT + i) * nL;
                int shift = nT - 1 - i;
                int visible = nM + i + 1;
                double dot = 0;
                for (int j = 0; j < visible; j++) dot += a.get(row + j) * g.get(row + j);
                for (int j = 0; j < visible; j++) g.set(row + j, a.get(row + j) * (g.get(row + j) - dot));
                for (int j = visible; j < nL; j++) g.set(row + j, 0);
                for (int r = 0; r < shift; r++) p.set(row + r, 0);
                for (int r = shift; r < nL; r++) p.set(row + r, g.get(row + r - shift));
            }
        }
    }

    /**
     * dq = scale·(G1 + G2) into the q columns of the segment rows of dqkv; du += scale·ΣG1, dv += scale·ΣG2 over rows
     * (into du, dv [H·hs]); returns dscale = Σ (q+u)·G1 + (q+v)·G2.
     */
    static double queryGradients(Mem g1, Mem g2, Mem qu, Mem qv, Mem dqkv, double scale, double[] du, double[] dv,
                                 int nB, int nM, int nT, int inner) {
        int nL = nM + nT, w3 = 3 * inner;
        double dScale = 0;
        for (int b = 0; b < nB; b++)
            for (int i = 0; i < nT; i++) {
                int r = (b * nT + i) * inner, to = (b * nL + nM + i) * w3;
                for (int c = 0; c < inner; c++) {
                    double a1 = g1.get(r + c), a2 = g2.get(r + c);
                    dScale += qu.get(r + c) * a1 + qv.get(r + c) * a2;
                    du[c] += a1;
                    dv[c] += a2;
                    dqkv.set(to + c, scale * (a1 + a2));
                }
            }
        return dScale;
    }

    /** Zeroes the q columns of the memory rows of dqkv (no query there; the fused projection backward reads them). */
    static void zeroMemoryQueries(Mem dqkv, int nB, int nM, int nT, int inner) {
        int nL = nM + nT, w3 = 3 * inner;
        for (int b = 0; b < nB; b++)
            for (int j = 0; j < nM; j++)
                for (int c = 0, o = (b * nL + j) * w3; c < inner; c++) dqkv.set(o + c, 0);
    }
}
