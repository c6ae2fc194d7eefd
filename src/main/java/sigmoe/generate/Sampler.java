package sigmoe.generate;

import java.util.Arrays;
import sigmoe.nn.Rng;

/**
 * Draws the next token from the model's scores, in the usual order: temperature, then top-k, then top-p (nucleus).
 * <ul>
 *   <li>temperature t: scores are divided by t; t = 0 means greedy (the argmax, the lowest id among equal scores);</li>
 *   <li>top-k: only the k highest-scoring tokens stay (exactly k: ties are broken by the lower id); 0 = all;</li>
 *   <li>top-p: of what is left, the smallest set of most probable tokens whose probability mass is &gt;= p; 1 = all.</li>
 * </ul>
 * The kept tokens' probabilities are renormalised and one is drawn with the caller's {@link Rng}, so a seed fixes the
 * sample. Scores may be logits or log-probabilities (they differ by a constant, which softmax ignores).
 */
public final class Sampler {
    private final double temperature;
    private final int topK;
    private final double topP;

    public Sampler(double temperature, int topK, double topP) {
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0 = no limit), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1] (1 = no limit), got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
    }

    public double temperature() { return temperature; }

    public int topK() { return topK; }

    public double topP() { return topP; }

    /** The distribution the sample is drawn from: length V, zero outside the kept tokens, summing to 1. */
    public double[] probabilities(double[] scores) {
        Kept k = keep(scores);
        double[] p = new double[scores.length];
        for (int i = 0; i < k.count; i++) p[k.order[i]] = k.prob[i];
        return p;
    }

    /** Draws one token id. */
    public int sample(double[] scores, Rng rng) {
        Kept k = keep(scores);
        if (k.count == 1) return k.order[0];
        double u = rng.nextDouble(), c = 0;
        for (int i = 0; i < k.count; i++) {
            c += k.prob[i];
            if (u < c) return k.order[i];
        }
        return k.order[k.count - 1]; // u within rounding of 1
    }

    /** Kept ids by decreasing score, with their renormalised probabilities. */
    private record Kept(int[] order, double[] prob, int count) {}

    private Kept keep(double[] scores) {
        int v = scores.length;
        if (v == 0) throw new IllegalArgumentException("no scores to sample from");
        int[] order = byDecreasingScore(scores);
        if (temperature == 0) return new Kept(order, new double[] {1.0}, 1);
        int n = topK == 0 ? v : Math.min(topK, v);
        double[] w = new double[n];
        double max = scores[order[0]] / temperature, z = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(scores[order[i]] / temperature - max);
            z += w[i];
        }
        for (int i = 0; i < n; i++) w[i] /= z;
        if (topP < 1) {
            double c = 0;
            int m = 0;
            while (m < n) {
                c += w[m++];
                if (c >= topP) break;
            }
            n = m;
            double kept = 0;
            for (int i = 0; i < n; i++) kept += w[i];
            for (int i = 0; i < n; i++) w[i] /= kept;
        }
        return new Kept(order, w, n);
    }

    /**
     * Ids sorted by decreasing score, ties by increasing id. Sorts primitive keys (score as an order-preserving
     * float bit pattern in the high half, id in the low half): vocabularies of 10^5 words are sorted per token.
     * NaN scores sort last.
     */
    static int[] byDecreasingScore(double[] scores) {
        long[] keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) {
            float f = Double.isNaN(scores[i]) ? Float.NEGATIVE_INFINITY : (float) scores[i];
            int bits = Float.floatToIntBits(f + 0.0f); // + 0.0f turns -0 into +0
            int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // signed-int order = float order
            keys[i] = ((long) ~ascending << 32) | i;           // ~ reverses it: decreasing score first
        }
        Arrays.sort(keys);
        int[] order = new int[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = (int) keys[i];
        return order;
    }
}
