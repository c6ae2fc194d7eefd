package sigmoe.nn.moe;

import java.util.Arrays;

/**
 * Raw, additive expert-usage counts of one σ-MoE layer (paper.md §5, pitfall 16): top-K selection counts, summed
 * gate values, active-channel counts, expert co-occurrence, and the token count. Workers sum these (flattened to a
 * double[] for Spark) and the driver derives ratios from the sums, so figures from many workers are exact global
 * figures — averaging per-worker ratios would not be.
 */
public final class ExpertStats {
    public final int nExperts;
    public final int expertSize;
    private long tokens;
    private final long[] selections;     // [N_E] times each expert was in a token's top-K
    private final double[] gateSum;      // [N_E] summed gate (sigmoid) values of those selections
    private final long[] activeChannels; // [N_E·G] hidden unit > 0 among the selections of the expert
    private final long[] cooccurrence;   // [N_E·N_E] (e1, e2) both selected for a token, every ordered slot pair

    public ExpertStats(int nExperts, int expertSize) {
        if (nExperts < 1 || expertSize < 1)
            throw new IllegalArgumentException("ExpertStats needs n_experts >= 1 and expert_size >= 1, got "
                    + nExperts + ", " + expertSize);
        this.nExperts = nExperts;
        this.expertSize = expertSize;
        this.selections = new long[nExperts];
        this.gateSum = new double[nExperts];
        this.activeChannels = new long[nExperts * expertSize];
        this.cooccurrence = new long[nExperts * nExperts];
    }

    /** Adds one batch's routing: selections, gates, co-occurrence (ordered slot pairs, diagonal = usage). */
    void addRouting(Routing r) {
        tokens += r.n;
        int k = r.topK;
        for (int t = 0; t < r.n; t++) {
            int so = t * k;
            for (int a = 0; a < k; a++) {
                int ea = r.sel[so + a];
                if (ea < 0) continue;
                selections[ea]++;
                gateSum[ea] += r.gate[so + a];
                for (int b = 0; b < k; b++) {
                    int eb = r.sel[so + b];
                    if (eb >= 0) cooccurrence[ea * nExperts + eb]++;
                }
            }
        }
    }

    /** The active-channel counts of expert e, to be incremented in place (row offset e·G). */
    long[] activeChannelsRaw() { return activeChannels; }

    public long tokens() { return tokens; }

    public long[] selections() { return selections.clone(); }

    public double[] gateSum() { return gateSum.clone(); }

    /** [N_E·G], expert-major. */
    public long[] activeChannels() { return activeChannels.clone(); }

    /** [N_E·N_E], row e1, column e2. */
    public long[] cooccurrence() { return cooccurrence.clone(); }

    public void clear() {
        tokens = 0;
        Arrays.fill(selections, 0);
        Arrays.fill(gateSum, 0);
        Arrays.fill(activeChannels, 0);
        Arrays.fill(cooccurrence, 0);
    }

    /** this += other (same N_E and G). */
    public ExpertStats merge(ExpertStats o) {
        if (o.nExperts != nExperts || o.expertSize != expertSize)
            throw new IllegalArgumentException("cannot merge expert statistics of N_E=" + o.nExperts + ", G=" + o.expertSize
                    + " into N_E=" + nExperts + ", G=" + expertSize);
        tokens += o.tokens;
        for (int i = 0; i < selections.length; i++) selections[i] += o.selections[i];
        for (int i = 0; i < gateSum.length; i++) gateSum[i] += o.gateSum[i];
        for (int i = 0; i < activeChannels.length; i++) activeChannels[i] += o.activeChannels[i];
        for (int i = 0; i < cooccurrence.length; i++) cooccurrence[i] += o.cooccurrence[i];
        return this;
    }

    /** Length of the flat form: 1 + N_E + N_E + N_E·G + N_E². */
    public static int flatLength(int nExperts, int expertSize) {
        return 1 + 2 * nExperts + nExperts * expertSize + nExperts * nExperts;
    }

    /**
     * Flat form for Spark aggregation by element-wise summation: [tokens, selections, gateSum, activeChannels,
     * cooccurrence]. Counts are exact in a double up to 2^53.
     */
    public double[] toArray() {
        double[] a = new double[flatLength(nExperts, expertSize)];
        int p = 0;
        a[p++] = tokens;
        for (long v : selections) a[p++] = v;
        for (double v : gateSum) a[p++] = v;
        for (long v : activeChannels) a[p++] = v;
        for (long v : cooccurrence) a[p++] = v;
        return a;
    }

    /** Inverse of {@link #toArray()}. */
    public static ExpertStats fromArray(int nExperts, int expertSize, double[] a) {
        if (a.length != flatLength(nExperts, expertSize))
            throw new IllegalArgumentException("flat expert statistics of length " + a.length + " do not match N_E="
                    + nExperts + ", G=" + expertSize + " (expected " + flatLength(nExperts, expertSize) + ")");
        ExpertStats s = new ExpertStats(nExperts, expertSize);
        int p = 0;
        s.tokens = Math.round(a[p++]);
        for (int i = 0; i < nExperts; i++) s.selections[i] = Math.round(a[p++]);
        for (int i = 0; i < nExperts; i++) s.gateSum[i] = a[p++];
        for (int i = 0; i < s.activeChannels.length; i++) s.activeChannels[i] = Math.round(a[p++]);
        for (int i = 0; i < s.cooccurrence.length; i++) s.cooccurrence[i] = Math.round(a[p++]);
        return s;
    }

    /** Ratios derived from the (summed) counts. */
    public Summary summary() {
        long total = 0;
        for (long v : selections) total += v;
        double entropy = 0, minLoad = Double.NaN, maxLoad = Double.NaN, gates = 0;
        int dead = 0;
        for (int e = 0; e < nExperts; e++) {
            double p = total == 0 ? 0 : (double) selections[e] / total;
            if (p > 0) entropy -= p * Math.log(p);
            if (selections[e] == 0) dead++;
            if (total > 0) {
                minLoad = e == 0 ? p : Math.min(minLoad, p);
                maxLoad = e == 0 ? p : Math.max(maxLoad, p);
            }
            gates += gateSum[e];
        }
        long active = 0;
        double chanMin = Double.NaN, chanMax = Double.NaN, chanSum = 0;
        for (int e = 0; e < nExperts; e++) {
            int used = 0;
            for (int c = 0; c < expertSize; c++) {
                long v = activeChannels[e * expertSize + c];
                active += v;
                if (v > 0) used++;
            }
            double f = (double) used / expertSize;
            chanSum += f;
            chanMin = e == 0 ? f : Math.min(chanMin, f);
            chanMax = e == 0 ? f : Math.max(chanMax, f);
        }
        return new Summary(tokens, total,
                total == 0 ? Double.NaN : Math.exp(entropy) / nExperts,
                (double) dead / nExperts, minLoad, maxLoad,
                total == 0 ? Double.NaN : gates / total,
                total == 0 ? Double.NaN : (double) active / ((double) total * expertSize),
                chanSum / nExperts, chanMin, chanMax);
    }

    /**
     * @param usageRelPerplexity exp(H(p))/N_E with p = selections/Σ selections (1 = perfectly uniform)
     * @param deadFraction       experts never selected / N_E
     * @param minLoad            smallest share of the selections taken by one expert (uniform: 1/N_E)
     * @param maxLoad            largest share
     * @param meanGate           mean gate value over all selections
     * @param reluPassRate       fraction of the selected experts' hidden units that were > 0
     * @param channelUsageMean   mean over experts of the fraction of their G channels ever active (min, max alike)
     */
    public record Summary(long tokens, long selections, double usageRelPerplexity, double deadFraction,
                          double minLoad, double maxLoad, double meanGate, double reluPassRate,
                          double channelUsageMean, double channelUsageMin, double channelUsageMax) {}
}
