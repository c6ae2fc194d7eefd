package sigmoe.nn.moe;

/**
 * Top-K of one token's expert scores into its K slots, shared by the σ-MoE's routing and the selection variants
 * (softmax, Sinkhorn/S-BASE): insertion into the K best so far, in descending order, skipping dropped experts; the
 * strict '>' keeps the lower index first on ties, so every selection breaks ties the same way.
 */
public final class TopK {
    private TopK() {}

    /**
     * Chooses among score[from .. from+nExperts) (expert e at from+e; skipped where dropped[zo+e], dropped may be
     * null) and writes the experts to sel[so .. so+K) and their scores to best[so .. so+K); slots left over when
     * fewer than K experts survive the dropout get sel = -1 and score 0. Returns the number of slots filled.
     */
    public static int select(double[] score, int from, int nExperts, int topK, boolean[] dropped, int zo, int[] sel,
                             double[] best, int so) {
        int filled = 0;
        for (int e = 0; e < nExperts; e++) {
            if (dropped != null && dropped[zo + e]) continue;
            double s = score[from + e];
            if (filled == topK && !(s > best[so + topK - 1])) continue;
            int p = filled < topK ? filled++ : topK - 1;
            while (p > 0 && s > best[so + p - 1]) {
                best[so + p] = best[so + p - 1];
                sel[so + p] = sel[so + p - 1];
                p--;
            }
            best[so + p] = s;
            sel[so + p] = e;
        }
        for (int j = filled; j < topK; j++) { sel[so + j] = -1; best[so + j] = 0; }
        return filled;
    }
}
