package sigmoe.nn.variants;

/** Top-K of one token's scores into its K slots, in descending order, skipping dropped experts (ties → lower index). */
final class SlotTopK {
    private SlotTopK() {}

    /**
     * Writes the chosen experts into sel[so .. so+K) and their scores into best[so .. so+K); slots left over when
     * fewer than K experts survive the dropout get sel = -1. Returns the number filled.
     */
    static int select(double[] score, int so0, int nExperts, int topK, boolean[] dropped, int zo, int[] sel, double[] best, int so) {
        int filled = 0;
        for (int e = 0; e < nExperts; e++) {
            if (dropped != null && dropped[zo + e]) continue;
            double s = score[so0 + e];
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

    /** Row-wise softmax of z[o .. o+len) into out[o .. o+len) (max-shifted). */
    static void softmax(sigmoe.nn.Mem z, int o, int len, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < len; e++) max = Math.max(max, z.get(o + e));
        double sum = 0;
        for (int e = 0; e < len; e++) { double v = Math.exp(z.get(o + e) - max); out[o + e] = v; sum += v; }
        for (int e = 0; e < len; e++) out[o + e] /= sum;
    }
}
