package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The regulariser's distributed split (paper.md §1.3, pitfall 7): two workers with half the batch each, sharing the
 * global p and normalising by their local N = N/2, produce gradients whose average is the full-batch gradient.
 */
class EntropyRegTest {
    private static final int N = 16, D = 6, NE = 5, G = 4, K = 2;
    private static final double GAMMA = 0.8;

    @Test
    void halfBatchesWithGlobalPAverageToTheFullBatchGradient() {
        INDArray x = MoeFixture.randn(DataType.DOUBLE, N, D, 61, 1.0);
        INDArray dyFull = MoeFixture.randn(DataType.DOUBLE, N, D, 62, 1.0);
        // full batch: mean loss over N tokens
        MoeFixture full = new MoeFixture(DataType.DOUBLE, D, NE, G, K, 0, GAMMA, 60, 0.5);
        full.layer.forward(x, true, null);
        double fullLoss = full.layer.entropyLoss();
        full.store.zeroGrads();
        double[] dxFull = MoeFixture.arr(full.layer.backward(dyFull));
        double[] gFull = MoeFixture.arr(full.store.grads());

        // two workers, each with a mean loss over its own N/2 tokens: dy doubles, N_local = N/2
        MoeFixture[] w = {new MoeFixture(DataType.DOUBLE, D, NE, G, K, 0, GAMMA, 60, 0.5),
                new MoeFixture(DataType.DOUBLE, D, NE, G, K, 0, GAMMA, 60, 0.5)};
        INDArray[] xs = {half(x, 0), half(x, 1)};
        double[] sum = new double[NE];
        long tokens = 0;
        for (int i = 0; i < 2; i++) {
            w[i].layer.forward(xs[i], true, null);
            double[] s = w[i].layer.entropy().softmaxSum();
            for (int e = 0; e < NE; e++) sum[e] += s[e];
            tokens += w[i].layer.entropy().tokens();
        }
        double[] globalLogP = EntropyReg.logMean(sum, tokens);
        assertEquals(fullLoss, EntropyReg.loss(globalLogP), 1e-14, "summed softmax statistics give the global L");
        double[] avg = new double[gFull.length];
        for (int i = 0; i < 2; i++) {
            w[i].layer.entropy().setGlobal(globalLogP, N / 2.0);
            assertEquals(fullLoss, w[i].layer.entropyLoss(), 1e-14);
            w[i].store.zeroGrads();
            double[] dx = MoeFixture.arr(w[i].layer.backward(half(dyFull, i).mul(2)));
            for (int j = 0; j < dx.length; j++)
                assertEquals(2 * dxFull[i * dx.length + j], dx[j], 1e-13, "dx of worker " + i);
            double[] gi = MoeFixture.arr(w[i].store.grads());
            for (int j = 0; j < gi.length; j++) avg[j] += gi[j] / 2;
        }
        assertTrue(MoeFixture.relDiff(avg, gFull) < 1e-13, "averaged worker gradients = full-batch gradient");

        // control: with each worker's local p the average is not the full-batch gradient
        double[] local = new double[gFull.length];
        for (int i = 0; i < 2; i++) {
            w[i].layer.forward(xs[i], true, null);
            w[i].store.zeroGrads();
            w[i].layer.backward(half(dyFull, i).mul(2));
            double[] gi = MoeFixture.arr(w[i].store.grads());
            for (int j = 0; j < gi.length; j++) local[j] += gi[j] / 2;
        }
        assertTrue(MoeFixture.relDiff(local, gFull) > 1e-6, "local p differs from global p");
    }

    @Test
    void overrideIsValidatedAndOnlyInTraining() {
        MoeFixture f = new MoeFixture(DataType.DOUBLE, D, NE, G, K, 0, GAMMA, 60, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, N, D, 61, 1.0);
        f.layer.forward(x, false, null);
        assertThrows(IllegalStateException.class, () -> f.layer.entropy().setGlobal(new double[NE], N));
        f.layer.forward(x, true, null);
        assertThrows(IllegalArgumentException.class, () -> f.layer.entropy().setGlobal(new double[NE + 1], N));
        assertThrows(IllegalArgumentException.class, () -> f.layer.entropy().setGlobal(new double[NE], 0));
        // uniform p maximises the entropy: L = −log N_E
        double[] uniform = new double[NE];
        java.util.Arrays.fill(uniform, -Math.log(NE));
        assertEquals(-Math.log(NE), EntropyReg.loss(uniform), 1e-14);
        assertTrue(f.layer.entropyLoss() > -Math.log(NE));
    }

    private static INDArray half(INDArray a, int i) {
        return a.get(NDArrayIndex.interval(i * N / 2, (i + 1) * N / 2), NDArrayIndex.all()).dup('c');
    }
}
