package sigmoe.nn.variants;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Init;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/** The dense product-key FFN (paper.md §2.2): the formula per token, DOUBLE finite differences, the two inits. */
class ProductKeyFfnTest {
    static ProductKeyFfn layer(ParamStore ps, int d, int nKeys, int heads, boolean softmax) {
        ProductKeyFfn f = new ProductKeyFfn(ps, "layers.0.ffn", d, nKeys, heads, softmax);
        ps.allocate();
        GradCheck.randn(f.keysA.value(), 1, 0.5);
        GradCheck.randn(f.keysB.value(), 2, 0.5);
        GradCheck.randn(f.values.value(), 3, 0.7);
        return f;
    }

    @ParameterizedTest(name = "softmax={0} heads={1}")
    @CsvSource({"false, 1", "false, 4", "true, 1", "true, 4"})
    void finiteDifferencesMatchBackward(boolean softmax, int heads) {
        int n = 7, d = 6, nKeys = 3;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = layer(ps, d, nKeys, heads, softmax);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, d), 5, 1.0);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, d), 6, 1.0);
        DoubleSupplier loss = () -> GradCheck.dot(f.forward(x), r);
        loss.getAsDouble();
        ps.zeroGrads();
        INDArray dx = f.backward(r).dup();
        double eps = 1e-6, tol = 1e-6;
        GradCheck.check("x", x, dx, loss, 1000, eps, tol);
        GradCheck.check("keys_a", f.keysA.value(), f.keysA.grad(), loss, 1000, eps, tol);
        GradCheck.check("keys_b", f.keysB.value(), f.keysB.grad(), loss, 1000, eps, tol);
        GradCheck.check("values", f.values.value(), f.values.grad(), loss, 1000, eps, tol);
    }

    static double[] flat(INDArray a) { return a.dup('c').reshape(a.length()).toDoubleVector(); }

    @Test
    void backwardAccumulatesIntoTheGradients() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = layer(ps, 4, 3, 2, false);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, 5, 4), 7, 1.0);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, 5, 4), 8, 1.0);
        ps.zeroGrads();
        f.forward(x);
        f.backward(r);
        INDArray once = ps.grads().dup();
        f.forward(x);
        f.backward(r);
        assertArrayEquals(flat(once.mul(2)), flat(ps.grads()), 1e-12);
    }

    /** y for one token straight from the formula: loops over heads h, sub-keys i (first half) and j (second half). */
    static double[] naive(ProductKeyFfn f, double[] x) {
        int n = f.nKeys, half = f.half;
        INDArray kaValue = f.keysA.value(), kbValue = f.keysB.value(), vValue = f.values.value();
        Mem ka = Mem.of(kaValue), kb = Mem.of(kbValue), v = Mem.of(vValue);
        double[] s = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int h = 0; h < f.heads; h++) {
                    for (int c = 0; c < half; c++) {
                        sum += x[c] * ka.get((h * n + i) * half + c);
                        sum += x[half + c] * kb.get((h * n + j) * half + c);
                    }
                }
                s[i * n + j] = sum;
            }
        }
        if (f.softmax) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (double e : s) max = Math.max(max, e);
            for (int k = 0; k < s.length; k++) z += (s[k] = Math.exp(s[k] - max));
            for (int k = 0; k < s.length; k++) s[k] /= z;
        } else {
            for (int k = 0; k < s.length; k++) s[k] = Math.max(0, s[k]);
        }
        double[] y = new double[f.d];
        for (int k = 0; k < s.length; k++) for (int c = 0; c < f.d; c++) y[c] += s[k] * v.get(k * f.d + c);
        Reference.reachabilityFence(kaValue);
        Reference.reachabilityFence(kbValue);
        Reference.reachabilityFence(vValue);
        return y;
    }

    @ParameterizedTest(name = "softmax={0}")
    @ValueSource(booleans = {false, true})
    void forwardMatchesThePerTokenFormula(boolean softmax) {
        int n = 40, d = 10, nKeys = 5, heads = 4; // 40 rows: the pair loops run in more than one block
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = layer(ps, d, nKeys, heads, softmax);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, d), 9, 1.0);
        INDArray y = f.forward(x);
        for (int t = 0; t < n; t++)
            assertArrayEquals(naive(f, x.getRow(t).toDoubleVector()), y.getRow(t).toDoubleVector(), 1e-12, "token " + t);
        // in FLOAT (training) the same within single precision
        ParamStore pf = new ParamStore(DataType.FLOAT);
        ProductKeyFfn g = new ProductKeyFfn(pf, "layers.0.ffn", d, nKeys, heads, softmax);
        pf.allocate();
        pf.values().assign(ps.values().castTo(DataType.FLOAT));
        INDArray yf = g.forward(x.castTo(DataType.FLOAT));
        assertArrayEquals(flat(y), flat(yf.castTo(DataType.DOUBLE)), 1e-4);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int n = 64, d = 8;
        INDArray x = GradCheck.randn(Nd4j.create(DataType.FLOAT, n, d), 3, 1.0);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.FLOAT, n, d), 4, 1.0);
        double[][] out = new double[2][];
        int before = sigmoe.nn.RowParallel.threads();
        try {
            for (int k = 0; k < 2; k++) {
                sigmoe.nn.RowParallel.setThreads(k == 0 ? 1 : 3);
                ParamStore ps = new ParamStore(DataType.FLOAT);
                ProductKeyFfn f = new ProductKeyFfn(ps, "f", d, 6, 4, true);
                ps.allocate();
                f.init(new Rng(5), 2, false);
                ps.zeroGrads();
                INDArray y = f.forward(x).dup();
                INDArray dx = f.backward(r).dup();
                out[k] = java.util.stream.DoubleStream.concat(java.util.stream.DoubleStream.of(flat(y)),
                        java.util.stream.DoubleStream.concat(java.util.stream.DoubleStream.of(flat(dx)),
                                java.util.stream.DoubleStream.of(flat(ps.grads())))).toArray();
            }
        } finally {
            sigmoe.nn.RowParallel.setThreads(before);
        }
        assertArrayEquals(out[0], out[1], 0.0);
    }

    @Test
    void valueIndexPairsFirstHalfSubKeyIWithSecondHalfSubKeyJ() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = new ProductKeyFfn(ps, "f", 2, 2, 1, false);
        ps.allocate();
        INDArray kaValue = f.keysA.value(), kbValue = f.keysB.value();
        Mem ka = Mem.of(kaValue), kb = Mem.of(kbValue);
        ka.set(0, 1); ka.set(1, 2);      // xa·K_a = {1, 2}·xa
        kb.set(0, 3); kb.set(1, 4);      // xb·K_b = {3, 4}·xb
        Reference.reachabilityFence(kaValue);
        Reference.reachabilityFence(kbValue);
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 10}});
        f.forward(x);
        // s[i·n + j] = ua[i] + ub[j]: i from the first half, j from the second
        assertArrayEquals(new double[] {31, 41, 32, 42}, flat(f.activations()), 0);
    }

    @Test
    void headsOnlyMatterThroughTheirSum() {
        int d = 8, nKeys = 4;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = layer(ps, d, nKeys, 3, true);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, 3, d), 4, 1.0);
        INDArray y = f.forward(x).dup();
        ParamStore one = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn g = new ProductKeyFfn(one, "f", d, nKeys, 1, true);
        one.allocate();
        g.keysA.value().assign(f.keysA.value().sum(0).reshape(1, nKeys, d / 2));
        g.keysB.value().assign(f.keysB.value().sum(0).reshape(1, nKeys, d / 2));
        g.values.value().assign(f.values.value());
        assertArrayEquals(flat(y), flat(g.forward(x)), 1e-12);
    }

    @Test
    void pkmPlusInitTakesTheValueStdFromTheNumberOfValues() {
        int d = 64, nKeys = 24, heads = 4, layers = 4;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ProductKeyFfn f = new ProductKeyFfn(ps, "f", d, nKeys, heads, false);
        ps.allocate();
        double scale = Math.sqrt(2.0 / layers);
        f.init(new Rng(1), layers, false); // [M] custom_init 0
        assertEquals(scale / Math.sqrt(d), Init.std(f.keysA.value()), 0.05 * scale / Math.sqrt(d));
        assertEquals(scale / Math.sqrt(d), Init.std(f.keysB.value()), 0.05 * scale / Math.sqrt(d));
        assertEquals(scale / Math.sqrt(d), Init.std(f.values.value()), 0.02 * scale / Math.sqrt(d));
        INDArray keysBefore = f.keysA.value().dup();
        f.init(new Rng(1), layers, true); // "PKM + init", custom_init 5
        double valueStd = scale / nKeys; // (n_keys²)^-0.5·√(2/L)
        assertEquals(valueStd, Init.std(f.values.value()), 0.02 * valueStd);
        assertTrue(valueStd < 0.4 * scale / Math.sqrt(d), "the values start 3× smaller than with the PKM init");
        assertEquals(keysBefore, f.keysA.value(), "the keys' init does not change");
        assertEquals(0, f.values.value().meanNumber().doubleValue(), 0.05 * valueStd);
    }

    @Test
    void badSizesAreNamed() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        Exception e = assertThrows(IllegalArgumentException.class, () -> new ProductKeyFfn(ps, "layers.2.ffn", 7, 4, 4, false));
        assertTrue(e.getMessage().contains("layers.2.ffn") && e.getMessage().contains("even"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ProductKeyFfn(ps, "f", 8, 0, 4, false));
        assertTrue(e.getMessage().contains("pkm_keys"), e.getMessage());
        ProductKeyFfn f = new ProductKeyFfn(ps, "g", 8, 2, 1, false);
        ps.allocate();
        e = assertThrows(IllegalArgumentException.class, () -> f.forward(Nd4j.create(DataType.DOUBLE, 3, 6)));
        assertTrue(e.getMessage().contains("columns"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> f.backward(Nd4j.create(DataType.DOUBLE, 3, 8)));
    }
}
