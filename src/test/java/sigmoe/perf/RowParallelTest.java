package sigmoe.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.GradCheck;
import sigmoe.nn.ParamStore;
import sigmoe.nn.RowParallel;
import sigmoe.train.Adam;

/** Adam's row-parallel FLOAT update gives the same bits with 1, 2 and 3 blocks (fixed partition, independent elements). */
class RowParallelTest {
    private final int saved = RowParallel.threads();

    @AfterEach
    void restore() { RowParallel.setThreads(saved); }

    @Test
    void adamIsTheSameForAnyThreadCount() {
        float[][] ref = null;
        for (int t : new int[] {1, 2, 3}) {
            RowParallel.setThreads(t);
            ParamStore s = new ParamStore(DataType.FLOAT);
            s.add("w", 300_001);
            s.allocate();
            s.values().assign(GradCheck.randn(s.values().dup(), 1, 0.5));
            Adam adam = new Adam(s);
            for (int k = 0; k < 3; k++) {
                s.grads().assign(GradCheck.randn(s.grads().dup(), 2 + k, 0.1));
                adam.update(1e-3);
            }
            float[][] got = {s.values().toFloatVector(), adam.m().toFloatVector(), adam.v().toFloatVector()};
            if (ref == null) { ref = got; continue; }
            for (int k = 0; k < 3; k++) assertArrayEquals(ref[k], got[k], "buffer " + k + " with " + t + " blocks");
        }
    }

    @Test
    void rejectsZeroThreads() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RowParallel.setThreads(0));
    }
}
