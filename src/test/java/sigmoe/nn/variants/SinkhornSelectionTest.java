package sigmoe.nn.variants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Mem;
import sigmoe.nn.Rng;

/** S-BASE selection: per-sequence balancing in training, plain top-K of the logits at evaluation. */
class SinkhornSelectionTest {
    @Test
    void balancesEachSequenceInTrainingButNotInEval() {
        int seqs = 4, t = 64, ne = 8, k = 1, n = seqs * t;
        INDArray z = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, ne), 9, 1.0);
        Mem zm = Mem.of(z);
        for (int i = 0; i < n; i++) zm.set(i * ne, zm.get(i * ne) + 2.5); // expert 0 is everyone's favourite
        SinkhornSelection s = new SinkhornSelection(3);
        s.setSequenceLength(t);
        int[] sel = new int[n * k];
        double[] gate = new double[n * k];
        s.select(zm, n, ne, k, null, false, sel, gate);
        int evalFav = count(sel, 0, n);
        s.select(zm, n, ne, k, null, true, sel, gate);
        for (int b = 0; b < seqs; b++) {
            int[] c = new int[ne];
            for (int i = b * t; i < (b + 1) * t; i++) c[sel[i]]++;
            for (int e = 0; e < ne; e++) assertTrue(c[e] <= 2 * t / ne, "sequence " + b + " expert " + e + ": " + c[e] + " of " + t);
        }
        assertTrue(evalFav > n / 2, "at eval the favourite wins most tokens: " + evalFav);
        for (int i = 0; i < n; i++) assertEquals(1 / (1 + Math.exp(-zm.get(i * ne + sel[i]))), gate[i], 1e-12, "sigmoid gate");
        Reference.reachabilityFence(z);
    }

    @Test
    void sequencesAreIndependent() {
        int t = 16, ne = 4, k = 2;
        INDArray z = GradCheck.randn(Nd4j.create(DataType.DOUBLE, 2 * t, ne), 5, 1.0);
        SinkhornSelection s = new SinkhornSelection(3);
        s.setSequenceLength(t);
        int[] both = new int[2 * t * k], one = new int[t * k];
        double[] g2 = new double[2 * t * k], g1 = new double[t * k];
        s.select(Mem.of(z), 2 * t, ne, k, null, true, both, g2);
        INDArray second = z.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(t, 2 * t), org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
        s.select(Mem.of(second), t, ne, k, null, true, one, g1);
        for (int i = 0; i < t * k; i++) assertEquals(one[i], both[t * k + i], "row " + i + " of the second sequence");
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(second);
    }

    @Test
    void trainingWithoutSequenceStructureIsAClearError() {
        SinkhornSelection s = new SinkhornSelection(3);
        INDArray z = Nd4j.create(DataType.DOUBLE, 6, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> s.select(Mem.of(z), 6, 3, 1, null, true, new int[6], new double[6]));
        assertTrue(e.getMessage().contains("sequence length"), e.getMessage());
        s.setSequenceLength(4);
        assertThrows(IllegalStateException.class, () -> s.select(Mem.of(z), 6, 3, 1, null, true, new int[6], new double[6]));
        new Rng(1); // eval needs no structure
        s.select(Mem.of(z), 6, 3, 1, null, false, new int[6], new double[6]);
        Reference.reachabilityFence(z); // also covers the lambdas above, which run before this line
    }

    private static int count(int[] sel, int e, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) if (sel[i] == e) c++;
        return c;
    }
}
