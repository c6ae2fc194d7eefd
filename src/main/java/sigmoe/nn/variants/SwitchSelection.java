package sigmoe.nn.variants;

import sigmoe.nn.Mem;
import sigmoe.nn.moe.Selection;

/**
 * The Switch Transformer baseline's selection and load-balancing loss (paper.md §2.3(d), [P] Eq. 15–17): gate =
 * softmax(z)_e of the top-K experts (K = 1 in Switch; no renormalisation), and instead of the entropy regulariser
 * <pre>
 *   f_e = (# slots choosing e) / (N·K),   p_e = (1/N) Σ_t softmax(z_t)_e
 *   L   = N_E · Σ_e f_e p_e          (the paper, Eq. 17; {@code codeScale = false})
 *   L   = Σ_e f_e p_e / N_E          ([M]'s mean over [N, N_E] of softmax·f; {@code codeScale = true})
 * </pre>
 * f is a constant for the gradient (counts of an argmax). For K = 1, f is the paper's; for K > 1 it is normalised
 * to sum 1 (an assumption: the spec does not say how [M] counts K > 1). The layer's γ (entropy_reg) weights L.
 * The rest of the Switch recipe (init scale 0.1, W2 std from G, no W3 row renorm, N_E/4 experts of 4G) is
 * configuration (FfnOptions / conf/*switch*.conf).
 */
public final class SwitchSelection implements Selection {
    final boolean codeScale;
    private final SoftmaxSelection softmax = new SoftmaxSelection(false, false);
    private double[] f = new double[0];
    private int n, nExperts;

    public SwitchSelection(boolean codeScale) { this.codeScale = codeScale; }

    @Override
    public void select(Mem z, int n, int nExperts, int topK, boolean[] dropped, boolean training, int[] sel, double[] gate) {
        softmax.select(z, n, nExperts, topK, dropped, training, sel, gate);
    }

    @Override
    public void gateBackward(int n, int nExperts, int topK, int[] sel, double[] gate, double[] dgate, double[] dz) {
        softmax.gateBackward(n, nExperts, topK, sel, gate, dgate, dz);
    }

    @Override
    public boolean usesEntropyReg() { return false; }

    private double factor() { return codeScale ? 1.0 / nExperts : nExperts; }

    @Override
    public double regForward(Mem z, int n, int nExperts, int topK, int[] sel, double[] gate) {
        this.n = n;
        this.nExperts = nExperts;
        if (f.length != nExperts) f = new double[nExperts];
        java.util.Arrays.fill(f, 0);
        for (int i = 0; i < n * topK; i++) if (sel[i] >= 0) f[sel[i]] += 1.0 / ((double) n * topK);
        double[] prob = softmax.prob;
        double l = 0;
        for (int t = 0; t < n; t++) for (int e = 0; e < nExperts; e++) l += f[e] * prob[t * nExperts + e];
        return factor() * l / n;
    }

    /** dz_{t,j} += γ·c/N · s_{t,j} (f_j − Σ_e s_{t,e} f_e), c the scale factor, s = softmax(z_t). */
    @Override
    public void addRegGradient(double[] dz, double gamma) {
        double scale = gamma * factor() / n;
        double[] prob = softmax.prob;
        for (int t = 0; t < n; t++) {
            int o = t * nExperts;
            double dot = 0;
            for (int e = 0; e < nExperts; e++) dot += prob[o + e] * f[e];
            for (int e = 0; e < nExperts; e++) dz[o + e] += scale * prob[o + e] * (f[e] - dot);
        }
    }
}
