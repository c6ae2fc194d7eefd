package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Rng;

/**
 * Central finite differences on the sparse layer itself (DOUBLE), loss = Σ y⊙R + γ·L. The inputs are chosen so
 * that top-K and every ReLU are stable under ±eps (asserted, not assumed), and the same seed replays the same
 * expert-dropout mask for every loss evaluation.
 */
class SigmaMoeGradCheckTest {
    private static final double EPS = 1e-6, TOL = 1e-5;

    @ParameterizedTest(name = "δ={0} γ={1}")
    @CsvSource({"0.0, 0.0", "0.0, 0.5", "0.3, 0.5"})
    void finiteDifferencesMatchBackward(double delta, double gamma) {
        int n = 12, d = 7, ne = 5, g = 4, k = 2;
        long seed = 3;
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, g, k, delta, gamma, 21, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 22, 1.0);
        INDArray r = MoeFixture.randn(DataType.DOUBLE, n, d, 23, 1.0);
        DoubleSupplier loss = () -> GradCheck.dot(f.layer.forward(x, true, new Rng(seed)), r) + gamma * f.layer.entropyLoss();

        f.layer.forward(x, true, new Rng(seed));
        assertStableUnderPerturbation(f, n, x, delta, seed);
        f.store.zeroGrads();
        INDArray dx = f.layer.backward(r).dup();

        GradCheck.check("x", x, dx, loss, 80, EPS, TOL);
        GradCheck.check("W1", f.layer.keys.value(), f.layer.keys.grad(), loss, 80, EPS, TOL);
        GradCheck.check("W2", f.layer.values.value(), f.layer.values.grad(), loss, 80, EPS, TOL);
        GradCheck.check("W3", f.layer.expertSel.value(), f.layer.expertSel.grad(), loss, 80, EPS, TOL);
    }

    /** The top-K gap and every selected pre-activation are far from their kinks compared with eps·|input|. */
    private static void assertStableUnderPerturbation(MoeFixture f, int n, INDArray x, double delta, long seed) {
        DenseMaskedReference ref = f.reference(n);
        ref.forward(MoeFixture.arr(x), true, delta, seed, 0);
        int ne = ref.ne;
        for (int t = 0; t < n; t++) {
            double lowestIn = Double.POSITIVE_INFINITY, highestOut = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < ne; e++) {
                int i = t * ne + e;
                if (ref.dropped[i]) continue;
                if (ref.selected[i]) {
                    lowestIn = Math.min(lowestIn, ref.s[i]);
                    for (int c = 0; c < ref.g; c++) assertTrue(Math.abs(ref.a[i * ref.g + c]) > 1e-4, "ReLU kink at token " + t);
                } else highestOut = Math.max(highestOut, ref.s[i]);
            }
            assertTrue(lowestIn - highestOut > 1e-4, "top-K gap of token " + t + " too small for finite differences");
        }
    }

    @Test
    void oneExpertWithUnitGateIsABiasFreeDenseFfn() {
        int n = 10, d = 6, g = 8;
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, 1, g, 1, 0, 0, 31, 0.5);
        f.layer.unitGate = true;
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 32, 1.0);
        INDArray dy = MoeFixture.randn(DataType.DOUBLE, n, d, 33, 1.0);
        double[] w1 = MoeFixture.arr(f.layer.keys.value()), w2 = MoeFixture.arr(f.layer.values.value());
        double[] xa = MoeFixture.arr(x), dya = MoeFixture.arr(dy);
        double[] y = new double[n * d], dx = new double[n * d], dw1 = new double[d * g], dw2 = new double[g * d];
        for (int t = 0; t < n; t++)
            for (int c = 0; c < g; c++) {
                double a = 0;
                for (int i = 0; i < d; i++) a += xa[t * d + i] * w1[i * g + c];
                double h = Math.max(a, 0), dh = 0;
                for (int j = 0; j < d; j++) {
                    y[t * d + j] += h * w2[c * d + j];
                    dh += dya[t * d + j] * w2[c * d + j];
                    dw2[c * d + j] += h * dya[t * d + j];
                }
                double da = a > 0 ? dh : 0;
                for (int i = 0; i < d; i++) {
                    dw1[i * g + c] += xa[t * d + i] * da;
                    dx[t * d + i] += da * w1[i * g + c];
                }
            }
        double[] got = MoeFixture.arr(f.layer.forward(x, true, null));
        f.store.zeroGrads();
        double[] gotDx = MoeFixture.arr(f.layer.backward(dy));
        assertTrue(MoeFixture.relDiff(got, y) < 1e-13, "y = ReLU(x W1) W2");
        assertTrue(MoeFixture.relDiff(gotDx, dx) < 1e-13, "dx");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.keys.grad()), dw1) < 1e-13, "dW1");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.values.grad()), dw2) < 1e-13, "dW2");
        for (double v : MoeFixture.arr(f.layer.expertSel.grad())) assertEquals(0.0, v, "a constant gate gives W3 no gradient");
    }

    @Test
    void topKNeverSelectsADroppedExpert() {
        int n = 400, d = 5, ne = 8, k = 3;
        double delta = 0.6; // often fewer than K survivors
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, 3, k, delta, 0, 41, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 42, 1.0);
        f.layer.forward(x, true, new Rng(9));
        int droppedSeen = 0, short_ = 0;
        for (int t = 0; t < n; t++) {
            int survivors = 0;
            for (int e = 0; e < ne; e++) if (!f.layer.dropped(t, e)) survivors++; else droppedSeen++;
            int used = 0;
            double prev = Double.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                int e = f.layer.selected(t, j);
                if (e < 0) continue;
                used++;
                assertTrue(!f.layer.dropped(t, e), "token " + t + " selected dropped expert " + e);
                assertTrue(f.layer.gate(t, j) <= prev, "slots in descending score order");
                prev = f.layer.gate(t, j);
            }
            assertEquals(Math.min(k, survivors), used);
            if (survivors < k) short_++;
        }
        double rate = droppedSeen / (double) (n * ne);
        assertEquals(delta, rate, 0.05, "drop rate ≈ δ");
        assertTrue(short_ > 0, "the case of fewer than K survivors was exercised");
    }

    @Test
    void evalHasNoDropoutAndNoRegulariser() {
        int n = 30, d = 6, ne = 6, k = 2;
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, 4, k, 0.5, 0.7, 51, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 52, 1.0);
        INDArray dy = MoeFixture.randn(DataType.DOUBLE, n, d, 53, 1.0);
        Rng rng = new Rng(4);
        long before = rng.state();
        double[] y = MoeFixture.arr(f.layer.forward(x, false, rng));
        assertEquals(before, rng.state(), "eval draws no dropout mask");
        assertEquals(0.0, f.layer.entropyLoss());
        f.store.zeroGrads();
        double[] dx = MoeFixture.arr(f.layer.backward(dy));
        DenseMaskedReference ref = f.reference(n);
        ref.forward(MoeFixture.arr(x), false, 0, 0, 0);
        ref.backward(MoeFixture.arr(dy), 0);
        assertTrue(MoeFixture.relDiff(y, ref.y) < 1e-12);
        assertTrue(MoeFixture.relDiff(dx, ref.dx) < 1e-12);
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.expertSel.grad()), ref.dw3) < 1e-12, "no regulariser gradient");
        // top-K of the unmasked scores
        for (int t = 0; t < n; t++)
            for (int e = 0; e < ne; e++)
                assertEquals(ref.selected[t * ne + e], f.layer.selected(t, 0) == e || f.layer.selected(t, 1) == e);
    }
}
