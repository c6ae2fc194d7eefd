package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sigmoe.nn.TestData.assertClose;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LayerNormTest {
    private static final DataType D = DataType.DOUBLE;

    @Test
    void matchesAHandComputation() {
        for (DataType dt : new DataType[] {DataType.FLOAT, D}) {
            ParamStore ps = new ParamStore(dt);
            LayerNorm ln = new LayerNorm(ps, "layers.0.norm1", 4);
            ps.allocate();
            assertEquals("layers.0.norm1.weight", ln.weight.name);
            double[] g = {1, 2, 0.5, 1}, b = {0, 1, 0, -1};
            for (int j = 0; j < 4; j++) { ln.weight.value().putScalar(j, g[j]); ln.bias.value().putScalar(j, b[j]); }
            INDArray x = Nd4j.create(new double[][] {{1, 2, 3, 4}, {2, 2, 2, 6}}).castTo(dt);
            INDArray y = ln.forward(x);
            // row 0: mean 2.5, population variance 1.25; row 1: mean 3, variance 3
            double r0 = 1 / Math.sqrt(1.25 + 1e-5), r1 = 1 / Math.sqrt(3 + 1e-5);
            double[][] want = {
                {-1.5 * r0 * 1 + 0, -0.5 * r0 * 2 + 1, 0.5 * r0 * 0.5, 1.5 * r0 - 1},
                {-1 * r1, -1 * r1 * 2 + 1, -1 * r1 * 0.5, 3 * r1 - 1}};
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 4; j++) assertEquals(want[i][j], y.getDouble(i, j), 1e-6, "y[" + i + "," + j + "]");
            assertEquals(2.5, ln.mean()[0], 1e-12);
            assertEquals(r1, ln.rstd()[1], 1e-6);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ParamStore ps = new ParamStore(D);
        LayerNorm ln = new LayerNorm(ps, "ln", 11, 1e-5);
        ps.allocate();
        TestData.fillParams(ps, 1, 1);
        INDArray x = TestData.randn(D, 2, 2, 6, 11), r = TestData.randn(D, 3, 1, 6, 11);
        ps.zeroGrads();
        ln.forward(x);
        INDArray dx = ln.backward(r).dup();
        java.util.function.DoubleSupplier loss = () -> GradCheck.dot(ln.forward(x), r);
        GradCheck.check("ln dx", x, dx, loss, 1000, 1e-5, 1e-6);
        GradCheck.check("ln dgamma", ln.weight.value(), ln.weight.grad().dup(), loss, 1000, 1e-5, 1e-6);
        GradCheck.check("ln dbeta", ln.bias.value(), ln.bias.grad().dup(), loss, 1000, 1e-5, 1e-6);
    }

    @Test
    void floatAgreesWithDouble() {
        ParamStore pd = new ParamStore(D), pf = new ParamStore(DataType.FLOAT);
        LayerNorm ld = new LayerNorm(pd, "ln", 412), lf = new LayerNorm(pf, "ln", 412);
        pd.allocate();
        pf.allocate();
        TestData.fillParams(pd, 4, 1);
        TestData.copyParams(pd, pf);
        INDArray x = TestData.randn(D, 5, 3, 64, 412), dy = TestData.randn(D, 6, 1, 64, 412);
        assertClose("y", ld.forward(x), lf.forward(TestData.asType(x, DataType.FLOAT)), 1e-5);
        assertClose("dx", ld.backward(dy), lf.backward(TestData.asType(dy, DataType.FLOAT)), 1e-4);
        assertClose("grads", pd.grads(), pf.grads(), 1e-4);
    }

    @Test
    void backwardDoesNotNeedTheInputAnymoreAndTwinSharesGradients() {
        ParamStore ps = new ParamStore(D);
        LayerNorm ln = new LayerNorm(ps, "ln", 5);
        LayerNorm onMemory = ln.twin();
        ps.allocate();
        TestData.fillParams(ps, 7, 1);
        INDArray x = TestData.randn(D, 8, 1, 3, 5), m = TestData.randn(D, 9, 1, 4, 5);
        INDArray dy = TestData.randn(D, 10, 1, 3, 5), dm = TestData.randn(D, 11, 1, 4, 5);
        ps.zeroGrads();
        ln.forward(x);
        INDArray dx = ln.backward(dy).dup();
        INDArray gOnlyX = ps.grads().dup();
        ps.zeroGrads();
        INDArray m2 = m.dup();
        onMemory.forward(m2);
        onMemory.backward(dm);
        INDArray gOnlyM = ps.grads().dup();

        ps.zeroGrads();
        INDArray x2 = x.dup();
        ln.forward(x2);
        onMemory.forward(m);
        x2.assign(123); // a residual update in place must not change the backward
        assertClose("dx", dx, ln.backward(dy), 1e-12);
        onMemory.backward(dm);
        assertClose("shared grads", gOnlyX.add(gOnlyM), ps.grads(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ln.forward(Nd4j.create(D, 2, 4)));
    }

    @Test
    void initIsOnesAndZeros() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        LayerNorm ln = new LayerNorm(ps, "final_norm", 3);
        ps.allocate();
        TestData.fillParams(ps, 1, 1);
        ln.init();
        assertEquals(3.0, ln.weight.value().sumNumber().doubleValue());
        assertEquals(0.0, ln.bias.value().sumNumber().doubleValue());
    }
}
