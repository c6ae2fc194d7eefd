package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sigmoe.nn.TestData.assertClose;

import java.lang.ref.Reference;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DenseFfnTest {
    private static final DataType D = DataType.DOUBLE;

    @Test
    void registersTheCheckpointNamesAndShapes() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        new DenseFfn(ps, "layers.3.ffn", 8, 20, 0.1);
        List<Param> p = ps.params();
        assertEquals("layers.3.ffn.w1.weight", p.get(0).name);
        assertEquals("layers.3.ffn.w1.bias", p.get(1).name);
        assertEquals("layers.3.ffn.w2.weight", p.get(2).name);
        assertEquals("layers.3.ffn.w2.bias", p.get(3).name);
        assertEquals(20, p.get(0).shape[0]);
        assertEquals(8, p.get(0).shape[1]);
        assertEquals(8, p.get(2).shape[0]);
        assertEquals(20, p.get(2).shape[1]);
        assertEquals(8 * 20 * 2 + 20 + 8, ps.size());
    }

    @Test
    void forwardIsW2DropoutReluW1PlusBiases() {
        ParamStore ps = new ParamStore(D);
        DenseFfn ffn = new DenseFfn(ps, "ffn", 3, 5, 0.5);
        ps.allocate();
        TestData.fillParams(ps, 1, 1);
        INDArray x = TestData.randn(D, 2, 1, 4, 3);
        INDArray y = ffn.forward(x, true, new Rng(11));
        // the hidden mask the block drew: the same seed over a [4, 5] array of ones
        INDArray mask = new Dropout(D, 0.5).forward(Nd4j.ones(D, 4, 5), true, new Rng(11));
        Mem mm = Mem.of(mask);
        INDArray w1 = ffn.w1.weight.value(), b1 = ffn.w1.bias.value(), w2 = ffn.w2.weight.value(), b2 = ffn.w2.bias.value();
        for (int i = 0; i < 4; i++)
            for (int o = 0; o < 3; o++) {
                double s = b2.getDouble(o);
                for (int h = 0; h < 5; h++) {
                    double a = b1.getDouble(h);
                    for (int k = 0; k < 3; k++) a += w1.getDouble(h, k) * x.getDouble(i, k);
                    s += w2.getDouble(o, h) * Math.max(a, 0) * mm.get(i * 5 + h);
                }
                assertEquals(s, y.getDouble(i, o), 1e-12);
            }
        int dropped = 0;
        for (int i = 0; i < mm.length; i++) dropped += mm.get(i) == 0 ? 1 : 0;
        Reference.reachabilityFence(mask);
        assertTrue(dropped > 0 && dropped < mm.length, "the check must cover dropped and kept units");
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAndWithoutDropout() {
        for (double p : new double[] {0, 0.3}) {
            ParamStore ps = new ParamStore(D);
            DenseFfn ffn = new DenseFfn(ps, "ffn", 6, 10, p);
            ps.allocate();
            TestData.fillParams(ps, 3, 0.5);
            INDArray x = TestData.randn(D, 4, 1, 5, 6), r = TestData.randn(D, 5, 1, 5, 6);
            ps.zeroGrads();
            ffn.forward(x, true, new Rng(5));
            INDArray dx = ffn.backward(r).dup();
            DoubleSupplier loss = () -> GradCheck.dot(ffn.forward(x, true, new Rng(5)), r); // same mask every call
            GradCheck.check("dx", x, dx, loss, 1000, 1e-5, 1e-6);
            for (Param prm : ps.params())
                GradCheck.check(prm.name, prm.value(), prm.grad().dup(), loss, 1000, 1e-5, 1e-6);
        }
    }

    @Test
    void floatAgreesWithDoubleAndInitHasTheTargetStd() {
        ParamStore pd = new ParamStore(D), pf = new ParamStore(DataType.FLOAT);
        DenseFfn fd = new DenseFfn(pd, "ffn", 40, 100, 0.1), ff = new DenseFfn(pf, "ffn", 40, 100, 0.1);
        pd.allocate();
        pf.allocate();
        fd.init(new Rng(6), 4);
        assertEquals(Math.sqrt(2.0 / (4 * 40)), Init.std(fd.w1.weight.value()), 1e-12);
        assertEquals(Math.sqrt(2.0 / (4 * 100)), Init.std(fd.w2.weight.value()), 1e-12);
        assertEquals(0.0, fd.w1.bias.value().sumNumber().doubleValue());
        TestData.fillParams(pd, 7, 0.2);
        TestData.copyParams(pd, pf);
        INDArray x = TestData.randn(D, 8, 1, 16, 40), dy = TestData.randn(D, 9, 1, 16, 40);
        assertClose("y", fd.forward(x, true, new Rng(2)), ff.forward(TestData.asType(x, DataType.FLOAT), true, new Rng(2)), 1e-5);
        assertClose("dx", fd.backward(dy), ff.backward(TestData.asType(dy, DataType.FLOAT)), 1e-5);
        assertClose("grads", pd.grads(), pf.grads(), 1e-4);
        // evaluation: no dropout, deterministic without an Rng
        INDArray e1 = fd.forward(x, false, null).dup();
        assertClose("eval", e1, fd.forward(x, false, null), 0);
    }
}
