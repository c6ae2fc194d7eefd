package sigmoe.nn.variants;

import sigmoe.nn.moe.TopK;
import sigmoe.nn.Mem;
import sigmoe.nn.moe.Selection;

/**
 * The softmax ablations of σ-MoE (paper.md §2.3(a)/(b), Tab. 10), and the selection of the Switch baseline.
 * <ul>
 * <li>{@code renorm = false} ("softmax (before top-k)", "no renorm."; [M] selection_mode gate,
 *     activation_after_topk 0): p = softmax(z) over all N_E, top-K on p, gate = p_e (not renormalised).</li>
 * <li>{@code renorm = true} ("softmax (after top-k)", "renorm."; activation_after_topk 1): top-K on the raw logits,
 *     gate = softmax over the K selected logits (= Shazeer's normtopk of a softmax, [P] Eq. 23–25).</li>
 * </ul>
 * Expert dropout: a dropped expert cannot be chosen ([M] fills 0 / −inf before the top-K).
 *
 * <p>Regulariser in the renorm mode: the paper says "our" entropy regulariser over the N_E experts (the layer's
 * {@code EntropyReg}, {@code slotEntropy = false}); [M]'s code instead re-assigns {@code reg_sel} to the K gathered
 * logits, so its "entropy" is of p_j = mean_t softmax over the K slots (slot j = j-th largest logit here; [M]'s
 * sorted=False order is unspecified) — {@code slotEntropy = true} reproduces that quirk.
 */
public final class SoftmaxSelection implements Selection {
    final boolean renorm;
    final boolean slotEntropy;
    double[] prob = new double[0]; // [n·N_E] softmax(z) (no-renorm mode), kept for backward
    private double[] logit = new double[0];
    private double[] slotLogP = new double[0];
    private int n, topK, lastExperts;
    private int[] lastSel;     // the routing's arrays of the last select (valid until the next one)
    private double[] lastGate;

    public SoftmaxSelection(boolean renorm, boolean slotEntropy) {
        if (slotEntropy && !renorm) throw new IllegalArgumentException("the slot-entropy quirk exists only in the renorm mode");
        this.renorm = renorm;
        this.slotEntropy = slotEntropy;
    }

    @Override
    public void select(Mem z, int n, int nExperts, int topK, boolean[] dropped, boolean training, int[] sel, double[] gate) {
        this.n = n;
        this.topK = topK;
        this.lastExperts = nExperts;
        this.lastSel = sel;
        this.lastGate = gate;
        int nz = n * nExperts;
        if (!renorm) {
            if (prob.length < nz) prob = new double[nz];
            for (int t = 0; t < n; t++) {
                RowSoftmax.softmax(z, t * nExperts, nExperts, prob);
                int filled = TopK.select(prob, t * nExperts, nExperts, topK, dropped, t * nExperts, sel, gate, t * topK);
                for (int j = filled; j < topK; j++) gate[t * topK + j] = 0;
            }
            return;
        }
        if (logit.length < nz) logit = new double[nz];
        for (int i = 0; i < nz; i++) logit[i] = z.get(i);
        for (int t = 0; t < n; t++) {
            int so = t * topK;
            int filled = TopK.select(logit, t * nExperts, nExperts, topK, dropped, t * nExperts, sel, gate, so);
            // gate = softmax over the filled slots' logits (gate[] holds them, descending: the first is the max)
            double max = gate[so], sum = 0;
            for (int j = 0; j < filled; j++) { gate[so + j] = Math.exp(gate[so + j] - max); sum += gate[so + j]; }
            for (int j = 0; j < filled; j++) gate[so + j] /= sum;
        }
    }

    @Override
    public void gateBackward(int n, int nExperts, int topK, int[] sel, double[] gate, double[] dgate, double[] dz) {
        for (int t = 0; t < n; t++) {
            int so = t * topK, zo = t * nExperts;
            if (!renorm) {
                // g_e = p_e: ∂p_e/∂z_j = p_e(δ_ej − p_j)  ⇒  dz_j += p_j (dg_j·[j∈E] − Σ_{e∈E} dg_e p_e)
                double dot = 0;
                for (int j = 0; j < topK; j++) if (sel[so + j] >= 0) dot += dgate[so + j] * gate[so + j];
                for (int e = 0; e < nExperts; e++) dz[zo + e] -= prob[zo + e] * dot;
                for (int j = 0; j < topK; j++) if (sel[so + j] >= 0) dz[zo + sel[so + j]] += gate[so + j] * dgate[so + j];
            } else {
                // softmax over the K selected logits: dz_{e_j} += g_j (dg_j − Σ_i dg_i g_i)
                double dot = 0;
                for (int j = 0; j < topK; j++) if (sel[so + j] >= 0) dot += dgate[so + j] * gate[so + j];
                for (int j = 0; j < topK; j++) if (sel[so + j] >= 0) dz[zo + sel[so + j]] += gate[so + j] * (dgate[so + j] - dot);
            }
        }
    }

    @Override
    public boolean usesEntropyReg() { return !slotEntropy; }

    /** The slot-entropy quirk: L = Σ_j p_j log p_j with p_j = mean_t gate_{t,j} (gates are the K-slot softmax). */
    @Override
    public double regForward(Mem z, int n, int nExperts, int topK, int[] sel, double[] gate) {
        if (!slotEntropy) return 0;
        double[] sum = new double[topK];
        for (int t = 0; t < n; t++) for (int j = 0; j < topK; j++) sum[j] += gate[t * topK + j];
        slotLogP = sigmoe.nn.moe.EntropyReg.logMean(sum, n);
        return sigmoe.nn.moe.EntropyReg.loss(slotLogP);
    }

    @Override
    public void addRegGradient(double[] dz, double gamma) {
        if (!slotEntropy) return;
        // dL/dg_{t,j} = (log p_j + 1)/N through the K-slot softmax (the +1 cancels: Σ_j g_{t,j} = 1)
        double scale = gamma / n;
        for (int t = 0; t < n; t++) {
            int so = t * topK, zo = t * lastExperts;
            double dot = 0;
            for (int j = 0; j < topK; j++) if (lastGate[so + j] != 0) dot += lastGate[so + j] * slotLogP[j];
            for (int j = 0; j < topK; j++)
                if (lastGate[so + j] != 0) dz[zo + lastSel[so + j]] += scale * lastGate[so + j] * (slotLogP[j] - dot);
        }
    }
}
