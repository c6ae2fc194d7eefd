package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sigmoe.nn.TestData.assertClose;

import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LinearTest {
    private static final DataType D = DataType.DOUBLE;

    @Test
    void forwardEqualsANaiveTripleLoop() {
        for (DataType dt : new DataType[] {DataType.FLOAT, D}) {
            ParamStore ps = new ParamStore(dt);
            ps.add("before", 3); // the layer's tensors start at an offset of the flat buffer
            Linear lin = new Linear(ps, "layers.0.ffn.w1", 13, 7, true);
            ps.allocate();
            assertEquals(7, lin.weight.value().size(0));
            assertEquals(13, lin.weight.value().size(1));
            TestData.fillParams(ps, 1, 1);
            INDArray x = TestData.randnView(dt, 2, 1, 5, 13);
            INDArray y = lin.forward(x);
            for (int i = 0; i < 5; i++)
                for (int o = 0; o < 7; o++) {
                    double s = lin.bias.value().getDouble(o);
                    for (int k = 0; k < 13; k++) s += x.getDouble(i, k) * lin.weight.value().getDouble(o, k);
                    assertEquals(s, y.getDouble(i, o), dt == D ? 1e-12 : 1e-5);
                }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        for (boolean withBias : new boolean[] {true, false}) {
            ParamStore ps = new ParamStore(D);
            Linear lin = new Linear(ps, "attn.q", 6, 4, withBias);
            ps.allocate();
            TestData.fillParams(ps, 3, 1);
            if (!withBias) assertNull(lin.bias);
            INDArray x = TestData.randn(D, 4, 1, 5, 6), r = TestData.randn(D, 5, 1, 5, 4);
            ps.zeroGrads();
            lin.forward(x);
            INDArray dx = lin.backward(r).dup();
            DoubleSupplier loss = () -> GradCheck.dot(lin.forward(x), r);
            GradCheck.check("dx", x, dx, loss, 1000, 1e-5, 1e-6);
            GradCheck.check("dW", lin.weight.value(), lin.weight.grad().dup(), loss, 1000, 1e-5, 1e-6);
            if (withBias) GradCheck.check("db", lin.bias.value(), lin.bias.grad().dup(), loss, 1000, 1e-5, 1e-6);
        }
    }

    @Test
    void backwardAccumulatesParameterAndOptionallyInputGradients() {
        ParamStore ps = new ParamStore(D);
        Linear lin = new Linear(ps, "p", 3, 2, true);
        ps.allocate();
        TestData.fillParams(ps, 6, 1);
        INDArray x = TestData.randn(D, 7, 1, 4, 3), dy = TestData.randn(D, 8, 1, 4, 2);
        ps.zeroGrads();
        lin.forward(x);
        INDArray dx1 = lin.backward(dy).dup();
        INDArray g1 = ps.grads().dup();
        lin.forward(x);
        INDArray dxAcc = dx1.dup();
        lin.backward(dy, dxAcc, true);
        assertClose("grads doubled", g1.mul(2), ps.grads(), 1e-12);
        assertClose("dx accumulated", dx1.mul(2), dxAcc, 1e-12);
        INDArray out = Nd4j.create(D, 4, 2);
        assertClose("forward into", lin.forward(x).dup(), lin.forward(x, out), 0);
        assertThrows(IllegalArgumentException.class, () -> lin.forward(Nd4j.create(D, 4, 5)));
        assertThrows(IllegalArgumentException.class, () -> lin.backward(Nd4j.create(D, 3, 2)));
    }

    @Test
    void floatAgreesWithDouble() {
        ParamStore pd = new ParamStore(D), pf = new ParamStore(DataType.FLOAT);
        Linear ld = new Linear(pd, "o", 64, 48, true), lf = new Linear(pf, "o", 64, 48, true);
        pd.allocate();
        pf.allocate();
        TestData.fillParams(pd, 9, 0.1);
        TestData.copyParams(pd, pf);
        INDArray x = TestData.randn(D, 10, 1, 32, 64), dy = TestData.randn(D, 11, 1, 32, 48);
        assertClose("y", ld.forward(x), lf.forward(TestData.asType(x, DataType.FLOAT)), 1e-5);
        assertClose("dx", ld.backward(dy), lf.backward(TestData.asType(dy, DataType.FLOAT)), 1e-5);
        assertClose("grads", pd.grads(), pf.grads(), 1e-5);
    }
}
