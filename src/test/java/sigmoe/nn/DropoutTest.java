package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sigmoe.nn.TestData.assertClose;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class DropoutTest {
    private static final DataType F = DataType.FLOAT, D = DataType.DOUBLE;

    @Test
    void dropsAboutPAndRescalesSurvivors() {
        double p = 0.3;
        Dropout drop = new Dropout(F, p);
        INDArray x = TestData.randn(F, 1, 1, 200, 501);
        INDArray y = drop.forward(x, true, new Rng(42));
        Mem xm = Mem.of(x), ym = Mem.of(y);
        int zeros = 0;
        for (int i = 0; i < xm.length; i++) {
            if (ym.get(i) == 0) zeros++;
            else assertEquals(xm.get(i) / (1 - p), ym.get(i), 1e-5 * Math.abs(ym.get(i)));
        }
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        double frac = zeros / (double) xm.length, sigma = Math.sqrt(p * (1 - p) / xm.length);
        assertEquals(p, frac, 5 * sigma, "dropped fraction");
        double maskMean = drop.mask().meanNumber().doubleValue();
        assertEquals(1.0, maskMean, 5 * sigma / (1 - p), "E[mask] = 1 (inverted dropout)");
    }

    @Test
    void maskIsFixedBySeedAndAdvancesWithTheStream() {
        INDArray x = TestData.randn(D, 2, 1, 3, 5); // odd element count: the single-draw tail
        Dropout a = new Dropout(D, 0.5), b = new Dropout(F, 0.5);
        INDArray m1 = a.forward(x, true, new Rng(7)).dup();
        INDArray mf = b.forward(TestData.asType(x, F), true, new Rng(7));
        assertClose("same seed, other dtype", m1, TestData.asType(mf, D), 1e-6);
        assertClose("same seed", m1, a.forward(x, true, new Rng(7)), 0);
        Rng rng = new Rng(7);
        INDArray first = a.mask().dup();
        a.forward(x, true, rng);
        assertClose("stream first call", first, a.mask(), 0);
        a.forward(x, true, rng);
        assertNotEquals(first, a.mask(), "the next call draws a new mask");
        a.forward(x, true, new Rng(8));
        assertNotEquals(first, a.mask(), "another seed gives another mask");
    }

    @Test
    void identityWhenNotTrainingOrPZero() {
        INDArray x = TestData.randn(F, 3, 1, 4, 6), dy = TestData.randn(F, 4, 1, 4, 6);
        Dropout d = new Dropout(F, 0.2);
        assertSame(x, d.forward(x, false, null));
        assertSame(dy, d.backward(dy));
        Dropout zero = new Dropout(F, 0);
        assertSame(x, zero.forward(x, true, new Rng(1)));
        assertSame(dy, zero.backward(dy));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(F, 1.0));
        assertThrows(IllegalArgumentException.class, () -> d.forward(x, true, null));
    }

    @Test
    void backwardUsesTheForwardMask() {
        Dropout d = new Dropout(D, 0.4);
        INDArray x = TestData.randn(D, 5, 1, 6, 7), r = TestData.randn(D, 6, 1, 6, 7);
        d.forward(x, true, new Rng(3));
        INDArray dx = d.backward(r).dup();
        GradCheck.check("dropout dx", x, dx, () -> GradCheck.dot(d.forward(x, true, new Rng(3)), r), 1000, 1e-5, 1e-7);
        boolean someDropped = false;
        INDArray mask = d.mask();
        Mem m = Mem.of(mask);
        for (int i = 0; i < m.length; i++) someDropped |= m.get(i) == 0;
        Reference.reachabilityFence(mask);
        assertTrue(someDropped);
    }
}
