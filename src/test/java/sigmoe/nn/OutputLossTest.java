package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sigmoe.nn.TestData.assertClose;

import java.lang.ref.Reference;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class OutputLossTest {
    private static final DataType D = DataType.DOUBLE;
    private static final int[] TARGETS = {3, 0, -1, 6, 3, -1, 2};

    private static OutputLoss build(ParamStore ps, int d, int v) {
        OutputLoss out = new OutputLoss(ps, "output", d, v);
        ps.allocate();
        return out;
    }

    @Test
    void lossIsTheSumOfDirectCrossEntropiesOverScoredTokens() {
        ParamStore ps = new ParamStore(D);
        OutputLoss out = build(ps, 5, 7);
        assertEquals("output.weight", out.weight().name);
        assertEquals("output.bias", out.bias().name);
        TestData.fillParams(ps, 1, 1);
        INDArray x = TestData.randn(D, 2, 1, 7, 5);
        LossSum ls = out.forward(x, TARGETS);
        double want = 0;
        for (int i = 0; i < 7; i++) {
            if (TARGETS[i] < 0) continue;
            double[] z = new double[7];
            double sumExp = 0;
            for (int v = 0; v < 7; v++) {
                z[v] = out.bias().value().getDouble(v);
                for (int k = 0; k < 5; k++) z[v] += x.getDouble(i, k) * out.weight().value().getDouble(v, k);
                sumExp += Math.exp(z[v]);
            }
            double ce = Math.log(sumExp) - z[TARGETS[i]];
            assertEquals(ce, out.tokenLosses()[i], 1e-12);
            want += ce;
        }
        assertEquals(want, ls.sum(), 1e-11);
        assertEquals(5, ls.count());
        assertEquals(want / 5, ls.mean(), 1e-12);
        assertEquals(0.0, out.tokenLosses()[2]);
        INDArray p = out.probabilities();
        for (int i = 0; i < 7; i++) assertEquals(1.0, p.getRow(i).sumNumber().doubleValue(), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ParamStore ps = new ParamStore(D);
        OutputLoss out = build(ps, 4, 7);
        TestData.fillParams(ps, 3, 1);
        INDArray x = TestData.randn(D, 4, 1, 7, 4);
        double scale = 0.37;
        ps.zeroGrads();
        out.forward(x, TARGETS);
        INDArray dx = out.backward(scale).dup();
        DoubleSupplier loss = () -> scale * out.forward(x, TARGETS).sum();
        GradCheck.check("dx", x, dx, loss, 1000, 1e-5, 1e-6);
        GradCheck.check("dW", out.weight().value(), out.weight().grad().dup(), loss, 1000, 1e-5, 1e-6);
        GradCheck.check("db", out.bias().value(), out.bias().grad().dup(), loss, 1000, 1e-5, 1e-6);
        for (int k = 0; k < 4; k++) assertEquals(0.0, dx.getDouble(2, k), "unscored rows pass no gradient");
        out.backward(1.0); // the check's last forward left probabilities; backward consumes them
        assertThrows(IllegalStateException.class, () -> out.backward(1.0));
    }

    @Test
    void confidentlyWrongTokensGetAFiniteExactLossInFloat() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        OutputLoss out = build(ps, 3, 10);
        out.bias().value().putScalar(0, 200); // weights 0: logits = bias, p(target) underflows in float
        INDArray x = TestData.randn(DataType.FLOAT, 5, 1, 2, 3);
        LossSum ls = out.forward(x, new int[] {1, 0});
        assertEquals(200 + Math.log1p(9 * Math.exp(-200)), out.tokenLosses()[0], 1e-4);
        assertEquals(9 * Math.exp(-200), out.tokenLosses()[1], 1e-6);
        assertTrue(Double.isFinite(ls.sum()));
    }

    @Test
    void logProbsAreTheLogSoftmaxOfTheLogits() {
        ParamStore ps = new ParamStore(D);
        OutputLoss out = build(ps, 4, 9);
        TestData.fillParams(ps, 6, 1);
        INDArray x = TestData.randn(D, 7, 1, 3, 4);
        out.forward(x, new int[] {0, 1, 2});
        INDArray p = out.probabilities().dup();
        INDArray lp = out.logProbs(x);
        Mem pm = Mem.of(p), lm = Mem.of(lp);
        for (int i = 0; i < pm.length; i++) assertEquals(Math.log(pm.get(i)), lm.get(i), 1e-12);
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(lp);
        assertThrows(IllegalStateException.class, () -> out.backward(1.0));
    }

    @Test
    void floatAgreesWithDoubleAndRejectsBadTargets() {
        ParamStore pd = new ParamStore(D), pf = new ParamStore(DataType.FLOAT);
        OutputLoss od = build(pd, 32, 50), of = build(pf, 32, 50);
        od.init(new Rng(8));
        double bound = 1 / Math.sqrt(32);
        assertTrue(od.weight().value().amaxNumber().doubleValue() <= bound);
        assertTrue(od.bias().value().amaxNumber().doubleValue() > 0);
        TestData.copyParams(pd, pf);
        INDArray x = TestData.randn(D, 9, 1, 20, 32);
        int[] t = new int[20];
        for (int i = 0; i < 20; i++) t[i] = (i * 7) % 50;
        t[4] = -1;
        LossSum a = od.forward(x, t), b = of.forward(TestData.asType(x, DataType.FLOAT), t);
        assertEquals(a.sum(), b.sum(), 1e-5 * a.sum());
        assertEquals(19, b.count());
        assertClose("dx", od.backward(1.0 / 19), of.backward(1.0 / 19), 1e-5);
        assertClose("grads", pd.grads(), pf.grads(), 1e-5);
        t[3] = 50;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> od.forward(x, t));
        assertTrue(e.getMessage().contains("vocab"));
        assertThrows(IllegalArgumentException.class, () -> od.forward(x, new int[3]));
    }

    @Test
    void fusedFloatPathAgreesWithDoubleOverManyRowsAndAfterProbabilities() {
        // More rows than one float partial of the bias gradient (256) and a vocabulary with a ragged vector tail;
        // every 7th row unscored. Then the same again after probabilities() (the buffer then holds softmax values).
        int d = 24, v = 77, n = 300;
        ParamStore pd = new ParamStore(D), pf = new ParamStore(DataType.FLOAT);
        OutputLoss od = build(pd, d, v), of = build(pf, d, v);
        od.init(new Rng(11));
        TestData.copyParams(pd, pf);
        INDArray x = TestData.randn(D, 12, 1, n, d);
        INDArray xf = TestData.asType(x, DataType.FLOAT);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = i % 7 == 0 ? -1 : (i * 13) % v;
        for (boolean probsFirst : new boolean[] {false, true}) {
            pd.zeroGrads();
            pf.zeroGrads();
            LossSum a = od.forward(x, t), b = of.forward(xf, t);
            assertEquals(a.sum(), b.sum(), 1e-5 * a.sum());
            for (int i = 0; i < n; i++) assertEquals(od.tokenLosses()[i], of.tokenLosses()[i], 1e-4);
            if (probsFirst) {
                assertClose("probabilities", od.probabilities(), of.probabilities(), 1e-5);
                for (int i = 0; i < n; i++) assertEquals(1.0, of.probabilities().getRow(i).sumNumber().doubleValue(), 1e-5);
            }
            assertClose("dx", od.backward(0.01), of.backward(0.01), 1e-5);
            assertClose("grads", pd.grads(), pf.grads(), 1e-5);
        }
    }
}
