package sigmoe.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Kernels;
import sigmoe.nn.ParamStore;
import sigmoe.nn.RelativeAttention;
import sigmoe.nn.Rng;
import sigmoe.nn.RowParallel;

/** The row-parallel loops give the same bits with 1, 2 and 3 blocks (fixed partition, independent rows). */
class RowParallelTest {
    private final int saved = RowParallel.threads();

    @AfterEach
    void restore() { RowParallel.setThreads(saved); }

    private static float[] flat(INDArray a) { return a.dup().reshape(-1).toFloatVector(); }

    @Test
    void outputSoftmaxIsTheSameForAnyThreadCount() {
        INDArray x = GradCheck.randn(Nd4j.create(DataType.FLOAT, 37, 3001), 1, 3.0);
        float[] ref = null;
        double[] lseRef = null;
        for (int t : new int[] {1, 2, 3}) {
            RowParallel.setThreads(t);
            INDArray a = x.dup();
            double[] lse = new double[37];
            Kernels.softmaxRowsInPlace(a, lse);
            INDArray l = x.dup();
            Kernels.logSoftmaxRowsInPlace(l);
            float[] got = flat(a);
            if (ref == null) { ref = got; lseRef = lse; continue; }
            assertArrayEquals(ref, got, "softmax with " + t + " blocks");
            assertArrayEquals(lseRef, lse, "log-sum-exp with " + t + " blocks");
        }
    }

    @Test
    void attentionForwardAndBackwardAreTheSameForAnyThreadCount() {
        int d = 24, heads = 3, hs = 8, batch = 3, mem = 5, seg = 7;
        float[][] ref = null;
        for (int t : new int[] {1, 2, 3}) {
            RowParallel.setThreads(t);
            ParamStore ps = new ParamStore(DataType.FLOAT);
            RelativeAttention att = new RelativeAttention(ps, "a", d, heads, hs);
            ps.allocate();
            att.initialise(new Rng(3), 2);
            INDArray src = GradCheck.randn(Nd4j.create(DataType.FLOAT, batch * (mem + seg), d), 4, 1.0);
            INDArray dy = GradCheck.randn(Nd4j.create(DataType.FLOAT, batch * seg, d), 5, 1.0);
            float[][] got = {flat(att.forward(src, batch, mem, seg)), flat(att.backward(dy)), flat(ps.grads())};
            if (ref == null) { ref = got; continue; }
            for (int k = 0; k < got.length; k++) assertArrayEquals(ref[k], got[k], "output " + k + " with " + t + " blocks");
        }
    }
}
