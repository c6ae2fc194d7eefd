package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;
import sigmoe.nn.Rng;

/** paper.md §1.4 on the WT-S shape (d = 412, N_E = 16, G = 128, L = 16). */
class MoeInitTest {
    private static final int D = 412, NE = 16, G = 128, L = 16;

    @Test
    void initialisationMatchesThePaper() {
        for (boolean standard : new boolean[] {false, true}) {
            MoeFixture f = new MoeFixture(DataType.DOUBLE, D, NE, G, 4, 0, 0, 0, 0);
            f.layer.initialise(new Rng(99), L, standard);
            double scale = Math.sqrt(2.0 / L);
            // paper.md prints 0.017420; √(2/16)/√412 = 0.0174183 (its last digit is rounded loosely)
            assertEquals(0.017420, scale / Math.sqrt(D), 2e-6, "paper.md's WT-S number");
            INDArray keys = f.layer.keys.value(), values = f.layer.values.value();
            assertEquals(scale / Math.sqrt(D), MoeInit.std(Mem.of(keys)), 0.01 * scale / Math.sqrt(D), "W1 std");
            double w2 = scale / Math.sqrt(standard ? G : NE * G);
            if (!standard) assertEquals(0.0078125, w2, 1e-9);
            assertEquals(w2, MoeInit.std(Mem.of(values)), 0.01 * w2, "W2 std");
            Reference.reachabilityFence(keys);
            Reference.reachabilityFence(values);

            // W3: replay the generator to get the raw draws and their std0
            Rng replay = new Rng(99);
            for (long i = 0; i < 2L * NE * D * G; i++) replay.nextGaussian();
            double[] raw = new double[NE * D];
            for (int i = 0; i < raw.length; i++) raw[i] = scale / Math.sqrt(D) * replay.nextGaussian();
            double std0 = std(raw);
            double[] w3 = MoeFixture.arr(f.layer.expertSel.value());
            assertEquals(std0, std(w3), 1e-12 * std0, "W3 keeps its original empirical std");
            double norm0 = rowNorm(w3, 0);
            for (int e = 0; e < NE; e++) {
                assertEquals(norm0, rowNorm(w3, e), 1e-12, "all W3 rows have the same norm");
                // each row is the raw row rescaled (direction kept)
                double k = w3[e * D] / raw[e * D];
                for (int i = 0; i < D; i++) assertEquals(k * raw[e * D + i], w3[e * D + i], 1e-12);
            }
        }
    }

    @Test
    void sameSeedSameWeights() {
        MoeFixture a = new MoeFixture(DataType.FLOAT, 8, 3, 4, 1, 0, 0, 0, 0);
        MoeFixture b = new MoeFixture(DataType.FLOAT, 8, 3, 4, 1, 0, 0, 0, 0);
        a.layer.initialise(new Rng(5), 4, false);
        b.layer.initialise(new Rng(5), 4, false);
        org.junit.jupiter.api.Assertions.assertArrayEquals(MoeFixture.arr(a.store.values()), MoeFixture.arr(b.store.values()));
    }

    private static double rowNorm(double[] w, int e) {
        double s = 0;
        for (int i = 0; i < D; i++) s += w[e * D + i] * w[e * D + i];
        return Math.sqrt(s);
    }

    private static double std(double[] v) {
        double m = 0;
        for (double x : v) m += x;
        m /= v.length;
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }
}
