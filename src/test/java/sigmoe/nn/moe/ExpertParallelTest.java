package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.Rng;

/**
 * The expert loop's results do not depend on how many workers run it (each expert's rows and gradient slices are
 * its own, every expert GEMM runs on one BLAS thread), the same seed gives the same bytes, and the process-wide
 * BLAS thread count is restored afterwards.
 */
class ExpertParallelTest {
    @Test
    void bitsIndependentOfWorkerCount() {
        double[][] one = run(1, DataType.FLOAT, 0.0), three = run(3, DataType.FLOAT, 0.0), again = run(3, DataType.FLOAT, 0.0);
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], three[i], "output " + i + ": 1 vs 3 workers");
            assertArrayEquals(three[i], again[i], "output " + i + ": same seed, same bytes");
        }
    }

    @Test
    void scoreDropoutBitsIndependentOfWorkerCount() {
        double[][] one = run(1, DataType.FLOAT, 0.25), four = run(4, DataType.FLOAT, 0.25);
        for (int i = 0; i < one.length; i++) assertArrayEquals(one[i], four[i], "output " + i + " with score dropout");
    }

    @Test
    void blasThreadCountRestored() {
        int before = Nd4j.factory().blas().getMaxThreads();
        INDArray[] g = gemmOperands();
        Nd4j.gemm(g[0], g[1], g[2], false, false, 1, 0);
        run(2, DataType.DOUBLE, 0.0);
        Nd4j.gemm(g[0], g[1], g[3], false, false, 1, 0);
        assertEquals(before, Nd4j.factory().blas().getMaxThreads());
        assertArrayEquals(MoeFixture.arr(g[2]), MoeFixture.arr(g[3]), "a GEMM after the layer runs as before it (OpenBLAS's bits depend on its thread count)");
    }

    /** SingleBlas's direct openblas_set_num_threads reaches the library ND4J's GEMMs use, as ND4J's own call does. */
    @Test
    void directSwitchIsNd4jsOneThread() {
        int before = Nd4j.factory().blas().getMaxThreads();
        Assumptions.assumeTrue(before > 1, "needs more than one BLAS thread to tell 1 thread apart");
        INDArray[] g = gemmOperands();
        Nd4j.factory().blas().setMaxThreads(1);
        try { Nd4j.gemm(g[0], g[1], g[2], false, false, 1, 0); } finally { Nd4j.factory().blas().setMaxThreads(before); }
        SingleBlas.enter();
        try { Nd4j.gemm(g[0], g[1], g[3], false, false, 1, 0); } finally { SingleBlas.exit(); }
        Nd4j.gemm(g[0], g[1], g[4], false, false, 1, 0);
        assertArrayEquals(MoeFixture.arr(g[2]), MoeFixture.arr(g[3]), "1 thread via SingleBlas = 1 thread via ND4J");
        Assumptions.assumeFalse(java.util.Arrays.equals(MoeFixture.arr(g[2]), MoeFixture.arr(g[4])), "this BLAS gives the same bits on 1 and " + before + " threads");
    }

    /** A [1024 × 412]·[412 × 128] product (an expert's shape) and three outputs. */
    private static INDArray[] gemmOperands() {
        INDArray a = MoeFixture.randn(DataType.FLOAT, 1024, 412, 21, 1.0), b = MoeFixture.randn(DataType.FLOAT, 412, 128, 22, 1.0);
        return new INDArray[] {a, b, Nd4j.create(DataType.FLOAT, 1024, 128), Nd4j.create(DataType.FLOAT, 1024, 128),
                Nd4j.create(DataType.FLOAT, 1024, 128)};
    }

    /** y, dx and all gradients of two training steps of a FLOAT or DOUBLE layer. */
    private static double[][] run(int workers, DataType dt, double scoreDrop) {
        int saved = ExpertLoop.maxWorkers;
        ExpertLoop.maxWorkers = workers;
        try {
            MoeFixture f = new MoeFixture(dt, 40, 6, 24, 2, 0.1, 0.01, 5, 0.3);
            f.layer.setScoreDropout(scoreDrop);
            INDArray x = MoeFixture.randn(dt, 200, 40, 6, 1.0), dy = MoeFixture.randn(dt, 200, 40, 7, 1.0);
            double[][] out = new double[6][];
            for (int step = 0; step < 2; step++) {
                out[3 * step] = MoeFixture.arr(f.layer.forward(x, true, new Rng(11 + step)));
                out[3 * step + 1] = MoeFixture.arr(f.layer.backward(dy));
                out[3 * step + 2] = MoeFixture.arr(f.store.grads());
            }
            return out;
        } finally {
            ExpertLoop.maxWorkers = saved;
        }
    }
}
