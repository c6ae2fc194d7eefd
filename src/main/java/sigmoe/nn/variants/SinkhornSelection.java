package sigmoe.nn.variants;

import sigmoe.nn.moe.TopK;
import sigmoe.nn.Mem;
import sigmoe.nn.moe.Selection;

/**
 * S-BASE, the paper's re-implementation of BASE layers (paper.md §2.3(e); [M] selection_mode sinkmoid2):
 * in training the K experts of each token are the top-K of a Sinkhorn-balanced assignment computed over the T
 * positions of its own sequence (not the whole batch), {@code iterations} rounds (3 in [M]); at evaluation they are
 * the top-K of the logits (= of softmax / sigmoid). The gate is always sigmoid(z_e) of the raw logit, so the
 * Sinkhorn step only chooses indices and has no gradient. The layer's entropy regulariser applies ([P] App. B).
 *
 * <p>Log-domain Sinkhorn on one sequence's logits z [T, N_E], r_{t,e} = exp(z_{t,e} + a_e + b_t):
 * {@code b_t = −lse_e(z_{t,e} + a_e)} (each token spreads unit mass), then {@code a_e = log(T/N_E) −
 * lse_t(z_{t,e} + b_t)} (each expert receives T/N_E). The targets only shift all a_e (or b_t) by a constant, which
 * does not change any token's ranking, so [M]'s log(T) / log(N_E) constants choose the same experts. Within a token
 * the ranking of r is that of z_{t,e} + a_e. Expert dropout (some S-BASE sweeps use it) excludes dropped experts.
 * Needs the [B, T] structure: rows ordered b·T + t, T set with {@link #setSequenceLength}.
 */
public final class SinkhornSelection implements Selection {
    final int iterations;
    private int seqLen = -1;
    private double[] score = new double[0];
    private double[] a = new double[0];
    private double[] b = new double[0];

    public SinkhornSelection(int iterations) {
        if (iterations < 1) throw new IllegalArgumentException("sinkhorn_iters must be >= 1, got " + iterations);
        this.iterations = iterations;
    }

    @Override
    public void setSequenceLength(int seqLen) {
        if (seqLen < 1) throw new IllegalArgumentException("S-BASE sequence length must be >= 1, got " + seqLen);
        this.seqLen = seqLen;
    }

    @Override
    public void select(Mem z, int n, int nExperts, int topK, boolean[] dropped, boolean training, int[] sel, double[] gate) {
        int nz = n * nExperts;
        if (score.length < nz) score = new double[nz];
        for (int i = 0; i < nz; i++) score[i] = z.get(i);
        if (training) {
            if (seqLen < 1 || n % seqLen != 0)
                throw new IllegalStateException("S-BASE needs the rows as [B, T] sequences: " + n + " rows, sequence length "
                        + seqLen + " (the model passes the segment length; a direct caller must call setSequenceLength)");
            for (int s0 = 0; s0 < n; s0 += seqLen) balance(s0, seqLen, nExperts);
        }
        for (int t = 0; t < n; t++) {
            int so = t * topK;
            TopK.select(score, t * nExperts, nExperts, topK, dropped, t * nExperts, sel, gate, so);
            for (int j = 0; j < topK; j++) gate[so + j] = sel[so + j] >= 0 ? sigmoid(z.get(t * nExperts + sel[so + j])) : 0;
        }
    }

    /** Replaces score rows [s0, s0+T) by z + a (the Sinkhorn expert potentials of that sequence). */
    private void balance(int s0, int len, int nExperts) {
        if (a.length < nExperts) a = new double[nExperts];
        if (b.length < len) b = new double[len];
        java.util.Arrays.fill(a, 0, nExperts, 0);
        double logCol = Math.log((double) len / nExperts);
        for (int it = 0; it < iterations; it++) {
            for (int t = 0; t < len; t++) {
                int o = (s0 + t) * nExperts;
                double m = Double.NEGATIVE_INFINITY;
                for (int e = 0; e < nExperts; e++) m = Math.max(m, score[o + e] + a[e]);
                double s = 0;
                for (int e = 0; e < nExperts; e++) s += Math.exp(score[o + e] + a[e] - m);
                b[t] = -(m + Math.log(s));
            }
            for (int e = 0; e < nExperts; e++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) m = Math.max(m, score[(s0 + t) * nExperts + e] + b[t]);
                double s = 0;
                for (int t = 0; t < len; t++) s += Math.exp(score[(s0 + t) * nExperts + e] + b[t] - m);
                a[e] = logCol - (m + Math.log(s));
            }
        }
        for (int t = 0; t < len; t++) {
            int o = (s0 + t) * nExperts;
            for (int e = 0; e < nExperts; e++) score[o + e] += a[e];
        }
    }

    /** Gate = sigmoid(z_e): dz_e += dg·g(1 − g). */
    @Override
    public void gateBackward(int n, int nExperts, int topK, int[] sel, double[] gate, double[] dgate, double[] dz) {
        for (int i = 0; i < n * topK; i++) {
            int e = sel[i];
            if (e < 0) continue;
            double g = gate[i];
            dz[(i / topK) * nExperts + e] += dgate[i] * g * (1 - g);
        }
    }

    static double sigmoid(double z) { return 1.0 / (1.0 + Math.exp(-z)); }
}
