package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java kernels read ND4J memory through NIO views, which do not keep the array alive: a kernel must fence its
 * arrays until its last access, or a GC lets ND4J free the memory mid-loop (garbage reads; writes into another
 * array). Here the source of each copy is a temporary that only the kernel's parameter refers to, while another
 * thread keeps the collector and ND4J's allocator busy; every copied element must be right.
 */
class GcReachabilityTest {
    // a source under glibc's mmap threshold (freed into malloc's bins, not unmapped), read many times over
    private static final int ROWS = 64, COLS = 200, GATHERED = 4096, BUDGET_MS = 2500;

    @Test
    void kernelsKeepTemporarySourcesAliveUnderGc() throws InterruptedException {
        int bad = 0, iterations = 0;
        try (GcChurn churn = new GcChurn(ROWS, COLS)) {
            INDArray dstF = Nd4j.create(DataType.FLOAT, GATHERED, COLS), dstD = Nd4j.create(DataType.DOUBLE, GATHERED, COLS);
            int[] idx = new int[GATHERED];
            for (int i = 0; i < GATHERED; i++) idx[i] = (i * 7) % ROWS;
            long end = System.nanoTime() + BUDGET_MS * 1_000_000L;
            while (System.nanoTime() < end) {
                float v = 1 + (iterations++ % 1000);
                Kernels.gatherRows(GcChurn.filled(DataType.FLOAT, ROWS, COLS, v), idx, GATHERED, dstF);
                bad += GcChurn.countNot(dstF, v);
                Kernels.gatherRows(GcChurn.filled(DataType.DOUBLE, ROWS, COLS, v), idx, GATHERED, dstD);
                bad += GcChurn.countNot(dstD, v);
            }
        }
        assertEquals(0, bad, "elements copied wrong from a collected source in " + iterations + " iterations");
    }
}
