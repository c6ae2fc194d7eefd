package sigmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sigmoe.nn.Rng;

class SamplerTest {
    // probabilities 0.4, 0.1, 0.3, 0.15, 0.05 as log-probabilities
    static final double[] P = {0.4, 0.1, 0.3, 0.15, 0.05};
    static final double[] LOGP = {Math.log(0.4), Math.log(0.1), Math.log(0.3), Math.log(0.15), Math.log(0.05)};

    static int nonZero(double[] p) {
        int n = 0;
        for (double x : p) if (x > 0) n++;
        return n;
    }

    static double sum(double[] p) {
        double s = 0;
        for (double x : p) s += x;
        return s;
    }

    @Test
    void withoutFiltersTheDistributionIsTheSoftmax() {
        assertArrayEquals(P, new Sampler(1, 0, 1).probabilities(LOGP), 1e-12);
        double[] raw = {2.0, -1.0, 0.5}; // logits, not normalised
        double z = Math.exp(2) + Math.exp(-1) + Math.exp(0.5);
        assertArrayEquals(new double[] {Math.exp(2) / z, Math.exp(-1) / z, Math.exp(0.5) / z}, new Sampler(1, 0, 1).probabilities(raw), 1e-12);
    }

    @Test
    void topKKeepsExactlyKEvenWithTies() {
        double[] p = new Sampler(1, 2, 1).probabilities(LOGP);
        assertArrayEquals(new double[] {0.4 / 0.7, 0, 0.3 / 0.7, 0, 0}, p, 1e-12);
        double[] ties = {1, 1, 1, 1, 1, 1};
        for (int k = 1; k <= 6; k++) {
            double[] q = new Sampler(1, k, 1).probabilities(ties);
            assertEquals(k, nonZero(q), "k=" + k);
            assertEquals(1, sum(q), 1e-12);
            for (int i = 0; i < k; i++) assertEquals(1.0 / k, q[i], 1e-12, "ties go to the lower ids");
        }
        assertEquals(5, nonZero(new Sampler(1, 50, 1).probabilities(LOGP)), "k above V keeps all");
    }

    @Test
    void topPKeepsTheSmallestSetWithMassAtLeastP() {
        // sorted: 0.4 (id 0), 0.3 (id 2), 0.15 (id 3), 0.1 (id 1), 0.05 (id 4); cumulative 0.4, 0.7, 0.85, 0.95, 1
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, new Sampler(1, 0, 0.39).probabilities(LOGP), 1e-12);
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, new Sampler(1, 0, 0.3).probabilities(LOGP), 1e-12);
        assertArrayEquals(new double[] {0.4 / 0.7, 0, 0.3 / 0.7, 0, 0}, new Sampler(1, 0, 0.41).probabilities(LOGP), 1e-12);
        assertArrayEquals(new double[] {0.4 / 0.85, 0, 0.3 / 0.85, 0.15 / 0.85, 0}, new Sampler(1, 0, 0.8).probabilities(LOGP), 1e-12);
        assertEquals(4, nonZero(new Sampler(1, 0, 0.9).probabilities(LOGP)));
        assertEquals(5, nonZero(new Sampler(1, 0, 1).probabilities(LOGP)));
        // after top-k = 3 the renormalised masses are 0.4/0.85, 0.3/0.85 (cumulative 0.82), 0.15/0.85
        assertEquals(2, nonZero(new Sampler(1, 3, 0.8).probabilities(LOGP)));
        assertEquals(3, nonZero(new Sampler(1, 3, 0.83).probabilities(LOGP)));
    }

    @Test
    void temperatureSharpensOrFlattensAndZeroIsArgmax() {
        double[] hot = new Sampler(100, 0, 1).probabilities(LOGP);
        for (double x : hot) assertEquals(0.2, x, 0.01);
        double[] half = new Sampler(0.5, 0, 1).probabilities(LOGP); // p^2 renormalised
        double z = 0;
        for (double x : P) z += x * x;
        for (int i = 0; i < P.length; i++) assertEquals(P[i] * P[i] / z, half[i], 1e-12);
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, new Sampler(0, 0, 1).probabilities(LOGP), 0);
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, new Sampler(1e-4, 0, 1).probabilities(LOGP), 1e-300);
        Rng rng = new Rng(3);
        double[] scores = {0.1, 3.0, -2.0, 2.99, 1.0};
        for (int i = 0; i < 100; i++) assertEquals(1, new Sampler(0, 0, 1).sample(scores, rng));
        for (int i = 0; i < 100; i++) assertEquals(1, new Sampler(1e-3, 0, 1).sample(scores, rng));
    }

    @Test
    void theSameSeedGivesTheSameSamplesAndFrequenciesFollowTheDistribution() {
        Sampler s = new Sampler(1, 0, 1);
        int n = 20_000;
        int[] a = new int[n], b = new int[n], c = new int[n];
        Rng r1 = new Rng(42), r2 = new Rng(42), r3 = new Rng(43);
        for (int i = 0; i < n; i++) {
            a[i] = s.sample(LOGP, r1);
            b[i] = s.sample(LOGP, r2);
            c[i] = s.sample(LOGP, r3);
        }
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
        int[] count = new int[5];
        for (int x : a) count[x]++;
        for (int i = 0; i < 5; i++) assertEquals(P[i], count[i] / (double) n, 0.015, "id " + i);
        // filtered-out tokens are never drawn
        Sampler k2 = new Sampler(1, 2, 1);
        for (int i = 0; i < 2000; i++) {
            int x = k2.sample(LOGP, r3);
            assertTrue(x == 0 || x == 2, "drew " + x);
        }
    }

    @Test
    void orderIsByDecreasingScoreThenId() {
        assertArrayEquals(new int[] {2, 0, 4, 1, 3, 5},
                Sampler.byDecreasingScore(new double[] {1, -0.5, 7, -3, 1, Double.NaN}));
        assertArrayEquals(new int[] {0, 1, 2}, Sampler.byDecreasingScore(new double[] {-0.0, 0.0, -1e-30}), "-0 ties with 0");
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Double.NaN, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 1.5));
    }
}
