package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sigmoe.nn.TestData.assertClose;
import static sigmoe.nn.TestData.randnView;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KernelsTest {
    private static final DataType F = DataType.FLOAT, D = DataType.DOUBLE;
    /** Widths below one vector, with a tail, and the WT-S model width. */
    private static final int[] WIDTHS = {7, 37, 412};

    @Test
    void vectorPathIsActiveInTests() {
        assertTrue(Kernels.VECTOR, "tests must run with --add-modules jdk.incubator.vector so the fast path is checked");
    }

    @Test
    void elementwiseFastPathsAgreeWithGeneric() {
        for (int c : WIDTHS) {
            INDArray x = randnView(F, 1, 1, 9, c), y = randnView(F, 2, 1, 9, c);
            INDArray a = x.dup(), b = x.dup();
            Kernels.reluInPlace(a);
            Kernels.gRelu(Mem.of(b));
            assertClose("relu", b, a, 0);

            INDArray dy1 = y.dup(), dy2 = y.dup();
            Kernels.reluBackwardInPlace(dy1, a);
            Kernels.gReluBackward(Mem.of(dy2), Mem.of(a));
            assertClose("reluBackward", dy2, dy1, 0);

            INDArray m1 = randnView(F, 3, 1, 9, c), m2 = m1.dup();
            Kernels.mul(x, y, m1);
            Kernels.gMul(Mem.of(x), Mem.of(y), Mem.of(m2));
            assertClose("mul", m2, m1, 0);

            INDArray s1 = x.dup(), s2 = x.dup();
            Kernels.scale(s1, 0.37);
            Kernels.gScale(Mem.of(s2), 0.37);
            assertClose("scale", s2, s1, 1e-6);

            INDArray ax1 = randnView(F, 4, 1, 9, c), ax2 = ax1.dup();
            Kernels.axpy(-1.5, x, ax1);
            Kernels.gAxpy(-1.5, Mem.of(x), Mem.of(ax2));
            assertClose("axpy", ax2, ax1, 1e-6);
            // the Mem views above do not keep their arrays alive
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(dy2);
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(y);
            Reference.reachabilityFence(m2);
            Reference.reachabilityFence(s2);
            Reference.reachabilityFence(ax2);
        }
    }

    @Test
    void rowFastPathsAgreeWithGeneric() {
        for (int c : WIDTHS) {
            int n = 600; // crosses the 256-row flush of the float partial sums
            INDArray x = randnView(F, 5, 1, n, c);
            INDArray bias = TestData.randn(F, 6, 1, c);
            INDArray b1 = x.dup(), b2 = x.dup();
            Kernels.addBiasRows(b1, bias);
            Kernels.gAddBiasRows(Mem.of(b2), Mem.of(bias), n, c);
            assertClose("addBiasRows", b2, b1, 0);

            INDArray acc1 = TestData.randn(F, 7, 1, c), acc2 = acc1.dup();
            Kernels.addColumnSums(x, acc1);
            Kernels.gAddColumnSums(Mem.of(x), Mem.of(acc2), n, c);
            assertClose("addColumnSums", acc2, acc1, 2e-5);

            INDArray z = randnView(F, 8, 4, 11, c);
            INDArray p1 = z.dup(), p2 = z.dup();
            double[] l1 = new double[11], l2 = new double[11];
            Kernels.softmaxRowsInPlace(p1, l1);
            Kernels.gSoftmaxRows(Mem.of(p2), 11, c, l2);
            assertClose("softmax", p2, p1, 2e-6);
            assertArrayEquals(l2, l1, 2e-5, "log-sum-exp");

            INDArray q1 = z.dup(), q2 = z.dup();
            Kernels.logSoftmaxRowsInPlace(q1);
            Kernels.gLogSoftmaxRows(Mem.of(q2), 11, c);
            assertClose("logSoftmax", q2, q1, 2e-6);

            INDArray g = randnView(F, 9, 1, 11, c), d1 = randnView(F, 10, 1, 11, c), d2 = d1.dup();
            Kernels.softmaxBackwardRows(p1, g, d1);
            Kernels.gSoftmaxBackwardRows(Mem.of(p1), Mem.of(g), Mem.of(d2), 11, c);
            assertClose("softmaxBackward", d2, d1, 2e-6);
            INDArray inPlace = g.dup();
            Kernels.softmaxBackwardRows(p1, inPlace, inPlace);
            assertClose("softmaxBackward in place", d2, inPlace, 2e-6);
            // the Mem views above do not keep their arrays alive
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(bias);
            Reference.reachabilityFence(b2);
            Reference.reachabilityFence(acc2);
            Reference.reachabilityFence(p1);
            Reference.reachabilityFence(p2);
            Reference.reachabilityFence(q2);
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(d2);
        }
    }

    @Test
    void layerNormFastPathAgreesWithGeneric() {
        for (int c : WIDTHS) {
            int n = 300;
            INDArray x = randnView(F, 11, 3, n, c);
            Mem.of(x).set(5, 40); // an outlier: the two-pass variance must hold
            INDArray g = TestData.randn(F, 12, 1, c), b = TestData.randn(F, 13, 1, c);
            INDArray y1 = randnView(F, 14, 1, n, c), h1 = randnView(F, 15, 1, n, c), y2 = y1.dup(), h2 = h1.dup();
            double[] mu1 = new double[n], rs1 = new double[n], mu2 = new double[n], rs2 = new double[n];
            LayerNormKernels.layerNormForward(x, g, b, 1e-5, y1, h1, mu1, rs1);
            LayerNormKernels.gLayerNormForward(Mem.of(x), Mem.of(g), Mem.of(b), 1e-5, Mem.of(y2), Mem.of(h2), mu2, rs2, n, c);
            assertClose("ln y", y2, y1, 1e-5);
            assertClose("ln xhat", h2, h1, 1e-5);
            assertArrayEquals(mu2, mu1, 1e-5);
            for (int r = 0; r < n; r++) assertEquals(rs2[r], rs1[r], 1e-5 * rs2[r]);

            INDArray dy = randnView(F, 16, 1, n, c);
            INDArray dx1 = randnView(F, 17, 1, n, c), dx2 = dx1.dup();
            INDArray dg1 = TestData.randn(F, 18, 1, c), db1 = TestData.randn(F, 19, 1, c), dg2 = dg1.dup(), db2 = db1.dup();
            LayerNormKernels.layerNormBackward(dy, h1, rs1, g, dx1, dg1, db1);
            LayerNormKernels.gLayerNormBackward(Mem.of(dy), Mem.of(h2), rs2, Mem.of(g), Mem.of(dx2), Mem.of(dg2), Mem.of(db2), n, c);
            assertClose("ln dx", dx2, dx1, 2e-5);
            assertClose("ln dgamma", dg2, dg1, 5e-5);
            assertClose("ln dbeta", db2, db1, 5e-5);
            INDArray inPlace = dy.dup();
            LayerNormKernels.layerNormBackward(inPlace, h1, rs1, g, inPlace, dg1.dup(), db1.dup());
            assertClose("ln dx in place", dx1, inPlace, 1e-6);
            // the Mem views above do not keep their arrays alive
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(y2);
            Reference.reachabilityFence(h2);
            Reference.reachabilityFence(dy);
            Reference.reachabilityFence(dx2);
            Reference.reachabilityFence(dg2);
            Reference.reachabilityFence(db2);
        }
    }

    @Test
    void softmaxHandlesMasksAndLargeLogits() {
        for (DataType dt : new DataType[] {F, D}) {
            INDArray a = Nd4j.create(dt, 2, 4);
            Mem m = Mem.of(a);
            double[] v = {1000, 999, Double.NEGATIVE_INFINITY, 998, 0, 0, 0, 0};
            for (int i = 0; i < 8; i++) m.set(i, v[i]);
            double[] lse = new double[2];
            Kernels.softmaxRowsInPlace(a, lse);
            double z = 1 + Math.exp(-1) + Math.exp(-2);
            assertEquals(1 / z, m.get(0), 1e-6);
            assertEquals(Math.exp(-1) / z, m.get(1), 1e-6);
            assertEquals(0.0, m.get(2));
            assertEquals(0.25, m.get(5), 1e-7);
            assertEquals(1000 + Math.log(z), lse[0], 1e-4);
            assertEquals(Math.log(4), lse[1], 1e-6);
            Reference.reachabilityFence(a);
        }
    }

    @Test
    void logSoftmaxIsLogOfSoftmax() {
        INDArray z = TestData.randn(D, 20, 3, 5, 13);
        INDArray p = z.dup(), lp = z.dup();
        Kernels.softmaxRowsInPlace(p);
        Kernels.logSoftmaxRowsInPlace(lp);
        Mem pm = Mem.of(p), lm = Mem.of(lp);
        for (int i = 0; i < pm.length; i++) assertEquals(Math.log(pm.get(i)), lm.get(i), 1e-12);
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(lp);
    }

    @Test
    void softmaxBackwardMatchesFiniteDifferences() {
        INDArray z = TestData.randn(D, 21, 2, 4, 9), r = TestData.randn(D, 22, 1, 4, 9);
        INDArray p = z.dup();
        Kernels.softmaxRowsInPlace(p);
        INDArray dz = Nd4j.create(D, 4, 9);
        Kernels.softmaxBackwardRows(p, r, dz);
        GradCheck.check("softmax dz", z, dz, () -> {
            INDArray q = z.dup();
            Kernels.softmaxRowsInPlace(q);
            return GradCheck.dot(q, r);
        }, 1000, 1e-5, 1e-6);
    }

    @Test
    void gatherAndScatterAddHandleRepeatedIndices() {
        for (DataType dt : new DataType[] {F, D}) {
            INDArray src = TestData.randn(dt, 23, 1, 5, 3);
            int[] idx = {4, 1, 4, 4, 0};
            INDArray g = Nd4j.create(dt, 5, 3);
            Kernels.gatherRows(src, idx, 5, g);
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 3; j++) assertEquals(src.getDouble(idx[i], j), g.getDouble(i, j));
            INDArray acc = Nd4j.create(dt, 5, 3);
            Kernels.scatterAddRows(g, idx, 5, acc);
            for (int j = 0; j < 3; j++) {
                assertEquals(3 * src.getDouble(4, j), acc.getDouble(4, j), 1e-6);
                assertEquals(src.getDouble(1, j), acc.getDouble(1, j), 1e-7);
                assertEquals(0.0, acc.getDouble(2, j));
            }
            assertThrows(IllegalArgumentException.class, () -> Kernels.gatherRows(src, new int[] {5}, 1, g));
        }
    }

    @Test
    void columnSumsCopyRowsAndAdd() {
        INDArray a = TestData.randn(D, 24, 1, 6, 4);
        INDArray acc = Nd4j.ones(D, 4);
        Kernels.addColumnSums(a, acc);
        for (int j = 0; j < 4; j++) {
            double s = 1;
            for (int r = 0; r < 6; r++) s += a.getDouble(r, j);
            assertEquals(s, acc.getDouble(j), 1e-12);
        }
        INDArray dst = Nd4j.create(D, 3, 4);
        Kernels.copyRows(a, 2, dst, 1, 2);
        assertEquals(a.getDouble(3, 2), dst.getDouble(2, 2));
        assertEquals(0.0, dst.getDouble(0, 0));
        INDArray sum = Nd4j.create(D, 6, 4);
        Kernels.add(a, a, sum);
        assertEquals(2 * a.getDouble(5, 3), sum.getDouble(5, 3));
        assertThrows(IllegalArgumentException.class, () -> Kernels.copyRows(a, 5, dst, 0, 2));
    }

    @Test
    void floatCopyCopyRowsAndAddMatchTheGenericLoopsOnViews() {
        // views with junk around them (non-zero offsets), lengths with vector tails
        INDArray a = TestData.randnView(DataType.FLOAT, 31, 1.0, 9, 37), b = TestData.randnView(DataType.FLOAT, 32, 1.0, 9, 37);
        INDArray sum = TestData.randnView(DataType.FLOAT, 33, 1.0, 9, 37);
        Kernels.add(a, b, sum);
        Mem am = Mem.of(a), bm = Mem.of(b), sm = Mem.of(sum);
        for (int i = 0; i < am.length; i++) assertEquals((float) (am.get(i) + bm.get(i)), (float) sm.get(i), 0.0f);
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(sum);
        INDArray dst = TestData.randnView(DataType.FLOAT, 34, 1.0, 5, 37), before = dst.dup();
        Kernels.copyRows(a, 3, dst, 1, 3);
        for (int r = 0; r < 5; r++)
            for (int j = 0; j < 37; j++)
                assertEquals(r >= 1 && r < 4 ? a.getFloat(r + 2, j) : before.getFloat(r, j), dst.getFloat(r, j), 0.0f, r + "," + j);
        INDArray c = TestData.randnView(DataType.FLOAT, 35, 1.0, 9, 37);
        Kernels.copy(a, c);
        assertEquals(a, c);
    }
}
