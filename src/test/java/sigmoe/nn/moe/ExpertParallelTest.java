package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
        run(2, DataType.DOUBLE, 0.0);
        assertEquals(before, Nd4j.factory().blas().getMaxThreads());
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
