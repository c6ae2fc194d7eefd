package sigmoe.nn.variants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/** Top-K activation on the dense FFN (paper.md §2.1): exact forward semantics and DOUBLE finite differences. */
class DenseTopkFfnTest {
    @ParameterizedTest(name = "K={0} dropout={1}")
    @CsvSource({"3, 0.0", "5, 0.3", "16, 0.0"})
    void finiteDifferencesMatchBackward(int k, double dropout) {
        int n = 9, d = 6, dff = 16;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        DenseTopkFfn f = new DenseTopkFfn(ps, "layers.0.ffn", d, dff, k, dropout);
        ps.allocate();
        GradCheck.randn(f.w1.weight.value(), 1, 0.6);
        GradCheck.randn(f.w1.bias.value(), 2, 0.3);
        GradCheck.randn(f.w2.weight.value(), 3, 0.6);
        GradCheck.randn(f.w2.bias.value(), 4, 0.3);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, d), 5, 1.0);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, n, d), 6, 1.0);
        java.util.function.DoubleSupplier loss = () -> GradCheck.dot(f.forward(x, true, new Rng(11)), r);
        loss.getAsDouble();
        ps.zeroGrads();
        INDArray dx = f.backward(r).dup();
        double eps = 1e-6, tol = 1e-5;
        GradCheck.check("x", x, dx, loss, 200, eps, tol);
        GradCheck.check("W1", f.w1.weight.value(), f.w1.weight.grad(), loss, 200, eps, tol);
        GradCheck.check("b1", f.w1.bias.value(), f.w1.bias.grad(), loss, 200, eps, tol);
        GradCheck.check("W2", f.w2.weight.value(), f.w2.weight.grad(), loss, 200, eps, tol);
        GradCheck.check("b2", f.w2.bias.value(), f.w2.bias.grad(), loss, 200, eps, tol);
    }

    @Test
    void keepsTheKLargestReluUnitsAndTies() {
        int d = 2, dff = 6, k = 2;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        DenseTopkFfn f = new DenseTopkFfn(ps, "f", d, dff, k, 0);
        ps.allocate();
        // x = 0 and W1 = 0, so the hidden units are exactly b1
        INDArray b1Value = f.w1.bias.value(), w2Value = f.w2.weight.value();
        Mem b1 = Mem.of(b1Value);
        double[] h = {0.5, 2.0, 0.5, -1.0, 2.0, 1.0}; // top-2 = {2.0, 2.0}; with K=2 the 1.0 is dropped
        for (int c = 0; c < dff; c++) b1.set(c, h[c]);
        INDArray x = Nd4j.create(DataType.DOUBLE, 2, d);
        Mem w2 = Mem.of(w2Value); // [d, dff]: output 0 = Σ kept units
        for (int c = 0; c < dff; c++) w2.set(c, 1);
        f.forward(x, false, null);
        assertTrue(f.kept(0, 1) && f.kept(0, 4), "the two 2.0 units");
        assertTrue(!f.kept(0, 5) && !f.kept(0, 0) && !f.kept(0, 3), "units below the K-th largest are zeroed");
        assertEquals(4.0, f.forward(x, false, null).getDouble(0, 0), 1e-12);
        double[] h2 = {3, 1, 1, 1, 0, 0}; // a tie at the K-th value (1): all three 1s are kept
        for (int c = 0; c < dff; c++) b1.set(c, h2[c]);
        Reference.reachabilityFence(b1Value);
        Reference.reachabilityFence(w2Value);
        f.forward(x, false, null);
        int kept = 0;
        for (int c = 0; c < dff; c++) if (f.kept(0, c)) kept++;
        assertEquals(4, kept, "ties with the K-th value are kept (≥ K units survive)");
    }

    @Test
    void quickselectFindsTheKthLargest() {
        Rng rng = new Rng(3);
        for (int trial = 0; trial < 200; trial++) {
            int len = 1 + rng.nextInt(40), k = 1 + rng.nextInt(len);
            double[] a = new double[len];
            for (int i = 0; i < len; i++) a[i] = rng.nextInt(7); // many duplicates
            double[] sorted = a.clone();
            java.util.Arrays.sort(sorted);
            assertEquals(sorted[len - k], DenseTopkFfn.kthLargest(a, len, k));
        }
    }
}
