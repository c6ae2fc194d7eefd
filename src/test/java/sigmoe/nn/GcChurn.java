package sigmoe.nn;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicBoolean;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A thread that keeps the collector and ND4J's allocator busy (full GCs, small arrays filled with −7), so that an
 * array a kernel failed to keep reachable is freed, and its memory reused, while the kernel still uses it.
 */
public final class GcChurn implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    public GcChurn(long rows, long cols) {
        thread = new Thread(() -> {
            while (!stop.get()) {
                for (int i = 0; i < 8; i++) Nd4j.create(DataType.FLOAT, rows, cols).assign(-7f);
                System.gc();
            }
        }, "gc-churn");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join();
    }

    /** A fresh array of {@code v}s: passed straight into a kernel, only the kernel's parameter refers to it. */
    public static INDArray filled(DataType t, long rows, long cols, float v) {
        return Nd4j.create(t, rows, cols).assign(v);
    }

    /** How many elements of {@code a} differ from {@code v}. */
    public static int countNot(INDArray a, float v) {
        Mem m = Mem.of(a);
        int bad = 0;
        for (int i = 0; i < m.length; i++) if (m.get(i) != v) bad++;
        Reference.reachabilityFence(a);
        return bad;
    }
}
