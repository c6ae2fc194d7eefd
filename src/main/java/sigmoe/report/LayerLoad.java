package sigmoe.report;

/**
 * One σ-MoE layer's routing statistics for one logged round, as ExpertReport writes them into metrics.jsonl.
 *
 * @param layer              the Transformer layer index (dense layers of a mixed model are simply absent)
 * @param counts             selections per expert in the round (how often each expert was in a token's top-K)
 * @param usageRelPerplexity exp(H(p))/N_E of the selection distribution (1 = perfectly uniform; NaN when no
 *                           selections were counted)
 * @param deadFraction       share of experts never selected in the round
 * @param minLoad            smallest share of the selections taken by one expert
 * @param maxLoad            largest share
 */
public record LayerLoad(int layer, long[] counts, double usageRelPerplexity, double deadFraction, double minLoad,
                        double maxLoad) {
    /** Fills the ratios a writer left out (NaN) from the counts, with ExpertStats' definitions. */
    public static LayerLoad of(int layer, long[] counts, double usageRelPerplexity, double deadFraction, double minLoad,
                               double maxLoad) {
        LayerLoad l = new LayerLoad(layer, counts, usageRelPerplexity, deadFraction, minLoad, maxLoad);
        if (l.total() == 0) // every expert unselected: dead; the shares and their entropy are undefined (NaN)
            return new LayerLoad(layer, counts, usageRelPerplexity, Double.isNaN(deadFraction) ? 1.0 : deadFraction, minLoad, maxLoad);
        double[] p = l.shares();
        double h = 0, min = Double.POSITIVE_INFINITY, max = 0;
        int dead = 0;
        for (double x : p) {
            if (x > 0) h -= x * Math.log(x);
            else dead++;
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        return new LayerLoad(layer, counts, Double.isNaN(usageRelPerplexity) ? Math.exp(h) / p.length : usageRelPerplexity,
                Double.isNaN(deadFraction) ? (double) dead / p.length : deadFraction,
                Double.isNaN(minLoad) ? min : minLoad, Double.isNaN(maxLoad) ? max : maxLoad);
    }

    public int nExperts() {
        return counts.length;
    }

    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    /** Each expert's share of the round's selections (all 0 when nothing was selected). */
    public double[] shares() {
        long t = total();
        double[] s = new double[counts.length];
        if (t > 0) for (int e = 0; e < s.length; e++) s[e] = (double) counts[e] / t;
        return s;
    }
}
