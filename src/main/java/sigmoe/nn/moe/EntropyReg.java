package sigmoe.nn.moe;

import sigmoe.nn.Mem;

/**
 * The σ-MoE entropy regulariser of one layer (paper.md §1.3): on the raw selection logits z (before expert dropout),
 * p = mean over the batch's tokens of softmax(z_t), L = Σ_e p_e log p_e (= −H(p)), and
 * ∂L/∂z_{t,e} = (1/N)·s_{t,e}·(log p_e − Σ_e' s_{t,e'} log p_e') with s_t = softmax(z_t).
 *
 * <p>By default p and N are the local batch's. A distributed trainer sums {@link #softmaxSum()} and
 * {@link #tokens()} over workers after forward, then calls {@link #setGlobal(double[], double)} with the global
 * log p (and the token count its loss is normalised by) before backward; the gradient is then exact for the global
 * batch (pitfall 7: only N_E numbers per layer need to travel).
 */
public final class EntropyReg {
    private final int nExperts;
    private double[] softmax = new double[0]; // [n·N_E] softmax(z_t), kept for backward
    private final double[] softSum;
    private final double[] logP;
    private int n;
    private double gradTokens;
    private boolean active;

    EntropyReg(int nExperts) {
        this.nExperts = nExperts;
        this.softSum = new double[nExperts];
        this.logP = new double[nExperts];
    }

    /** Softmax of each token's logits, their sum over tokens, and the local log p. */
    void forward(Mem z, int n) {
        this.n = n;
        if (softmax.length < n * nExperts) softmax = new double[n * nExperts];
        java.util.Arrays.fill(softSum, 0);
        for (int t = 0; t < n; t++) {
            int o = t * nExperts;
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < nExperts; e++) max = Math.max(max, z.get(o + e));
            double sum = 0;
            for (int e = 0; e < nExperts; e++) {
                double v = Math.exp(z.get(o + e) - max);
                softmax[o + e] = v;
                sum += v;
            }
            double inv = 1.0 / sum;
            for (int e = 0; e < nExperts; e++) {
                softmax[o + e] *= inv;
                softSum[e] += softmax[o + e];
            }
        }
        double[] local = logMean(softSum, n);
        System.arraycopy(local, 0, logP, 0, nExperts);
        gradTokens = n;
        active = true;
    }

    void off() { active = false; }

    int softmaxCapacity() { return softmax.length; }

    boolean active() { return active; }

    /** Σ_t softmax(z_t) over this batch's tokens (a copy), for summing over workers. */
    public double[] softmaxSum() { return softSum.clone(); }

    /** Tokens of the last forward. */
    public int tokens() { return n; }

    /**
     * Replaces the local log p by a global one and sets the token count N of the gradient's 1/N (the size of the
     * batch this worker's loss is a mean over). Valid until the next forward.
     */
    public void setGlobal(double[] globalLogP, double normaliserTokens) {
        if (!active) throw new IllegalStateException("entropy regulariser is off (eval mode or γ = 0): nothing to override");
        if (globalLogP.length != nExperts)
            throw new IllegalArgumentException("global log p has " + globalLogP.length + " entries; the layer has " + nExperts + " experts");
        if (!(normaliserTokens > 0)) throw new IllegalArgumentException("normaliser token count must be > 0, got " + normaliserTokens);
        System.arraycopy(globalLogP, 0, logP, 0, nExperts);
        gradTokens = normaliserTokens;
    }

    /** L = Σ_e p_e log p_e for the current p (local after forward, global after {@link #setGlobal}); 0 when off. */
    public double loss() {
        return active ? loss(logP) : 0;
    }

    /** dz[t·N_E + e] += γ·∂L/∂z_{t,e}. */
    void addGradient(double[] dz, double gamma) {
        double scale = gamma / gradTokens;
        for (int t = 0; t < n; t++) {
            int o = t * nExperts;
            double dot = 0;
            // a softmax entry of exactly 0 (and only then can p_e be 0) contributes 0, never 0·(−∞)
            for (int e = 0; e < nExperts; e++) if (softmax[o + e] != 0) dot += softmax[o + e] * logP[e];
            for (int e = 0; e < nExperts; e++)
                if (softmax[o + e] != 0) dz[o + e] += scale * softmax[o + e] * (logP[e] - dot);
        }
    }

    /** log p_e = log(softmaxSum_e / tokens): what a trainer computes from the summed statistics. */
    public static double[] logMean(double[] softmaxSum, double tokens) {
        double[] lp = new double[softmaxSum.length];
        for (int e = 0; e < lp.length; e++) lp[e] = Math.log(softmaxSum[e] / tokens);
        return lp;
    }

    /** Σ_e p_e log p_e from log p (terms with p_e = 0 count as 0). */
    public static double loss(double[] logP) {
        double l = 0;
        for (double lp : logP) if (lp > Double.NEGATIVE_INFINITY) l += Math.exp(lp) * lp;
        return l;
    }
}
