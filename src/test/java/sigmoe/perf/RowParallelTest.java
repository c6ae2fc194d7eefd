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

/**
 * The row-parallel FLOAT loops give the same bits with 1, 2 and 3 blocks: Adam (independent elements), and the
 * attention, output-loss and LayerNorm kernels (independent rows; their column sums are partials per fixed chunk of
 * rows added in chunk order).
 */
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
    void attentionOutputLossAndLayerNormAreTheSameForAnyThreadCount() {
        float[][] ref = null;
        for (int t : new int[] {1, 2, 3}) {
            RowParallel.setThreads(t);
            java.util.List<float[]> got = new java.util.ArrayList<>();
            // attention: H·B·T = 600 softmax rows, B·T = 300 query rows (two chunks of the bias-gradient sums)
            ParamStore ps = new ParamStore(DataType.FLOAT);
            sigmoe.nn.RelativeAttention a = new sigmoe.nn.RelativeAttention(ps, "a", 32, 2, 20);
            sigmoe.nn.OutputLoss out = new sigmoe.nn.OutputLoss(ps, "output", 32, 70);
            ps.allocate();
            a.initialise(new sigmoe.nn.Rng(1), 2);
            out.init(new sigmoe.nn.Rng(2));
            int B = 6, M = 40, T = 50;
            INDArray src = GradCheck.randn(org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, B * (M + T), 32), 3, 1.0);
            got.add(a.forward(src, B, M, T).dup().data().asFloat());
            got.add(a.backward(GradCheck.randn(org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, B * T, 32), 4, 1.0)).dup().data().asFloat());
            // output loss: 600 rows (three chunks), some unscored
            int[] tg = new int[600];
            for (int i = 0; i < tg.length; i++) tg[i] = i % 11 == 0 ? -1 : (i * 7) % 70;
            INDArray x = GradCheck.randn(org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, 600, 32), 5, 1.0);
            got.add(new float[] {(float) out.forward(x, tg).sum()});
            got.add(out.backward(1.0 / 600).dup().data().asFloat());
            got.add(ps.grads().toFloatVector());
            // LayerNorm forward and backward over 600 rows
            INDArray g = GradCheck.randn(org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, 32), 6, 1.0), b = g.dup().muli(0.5);
            INDArray y = x.dup(), xh = x.dup(), dx = x.dup(), dg = g.dup().assign(0), db = g.dup().assign(0);
            double[] mean = new double[600], rstd = new double[600];
            sigmoe.nn.LayerNormKernels.layerNormForward(x, g, b, 1e-5, y, xh, mean, rstd);
            sigmoe.nn.LayerNormKernels.layerNormBackward(GradCheck.randn(x.dup(), 7, 1.0), xh, rstd, g, dx, dg, db);
            for (INDArray r : new INDArray[] {y, dx, dg, db}) got.add(r.dup().data().asFloat());
            float[][] now = got.toArray(new float[0][]);
            if (ref == null) { ref = now; continue; }
            for (int k = 0; k < now.length; k++) assertArrayEquals(ref[k], now[k], "result " + k + " with " + t + " blocks");
        }
    }

    @Test
    void rejectsZeroThreads() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RowParallel.setThreads(0));
    }

    @Test
    void aThrowingBlockReturnsOnlyAfterTheOtherBlocksEnd() throws InterruptedException {
        RowParallel.setThreads(2);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () ->
                RowParallel.forRange(2, 1, (lo, hi) -> {
                    if (lo == 0) { // the caller's block: fail once the other block runs
                        try { started.await(5, java.util.concurrent.TimeUnit.SECONDS); } catch (InterruptedException x) { throw new IllegalStateException(x); }
                        throw new IllegalStateException("block 0 failed");
                    }
                    running.incrementAndGet();
                    started.countDown();
                    try { Thread.sleep(300); } catch (InterruptedException x) { Thread.currentThread().interrupt(); }
                    running.decrementAndGet();
                }));
        org.junit.jupiter.api.Assertions.assertEquals("block 0 failed", e.getMessage());
        org.junit.jupiter.api.Assertions.assertEquals(0, started.getCount(), "the other block never started; nothing was tested");
        org.junit.jupiter.api.Assertions.assertEquals(0, running.get(), "forRange threw while a block was still running");
    }
}
