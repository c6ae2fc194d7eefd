package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InitTest {
    @Test
    void preLnLinearHasExactlyTheTargetEmpiricalStd() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            // WT-S shapes: W1 of the dense FFN [d_ff=2053, d=412], 16 layers
            INDArray w = Nd4j.create(dt, 2053, 412);
            Init.preLnLinear(w, new Rng(1), 16);
            double target = Math.sqrt(2.0 / (16 * 412));
            assertEquals(target, Init.std(w), (dt == DataType.DOUBLE ? 1e-12 : 1e-6) * target);
            // truncation at ±2 of the unit normal before rescaling: |w| <= 2·target/std(trunc) ≈ 2.27·target
            double max = Math.max(w.maxNumber().doubleValue(), -w.minNumber().doubleValue());
            assertTrue(max <= 2 * target / 0.8796 * 1.01 && max > 2 * target, "max |w| " + max / target + "·target");
        }
        assertEquals(0.017420, Init.preLnStd(16, 412), 2e-6); // paper.md §1.4 WT-S number (rounded there)
    }

    @Test
    void sameSeedSameWeightsOtherSeedOther() {
        INDArray a = Nd4j.create(DataType.FLOAT, 30, 20), b = a.dup(), c = a.dup();
        Init.preLnLinear(a, new Rng(9), 4);
        Init.preLnLinear(b, new Rng(9), 4);
        Init.preLnLinear(c, new Rng(10), 4);
        assertEquals(a, b);
        assertTrue(!a.equals(c));
    }

    @Test
    void uniformInitsRespectTheirBoundsAndMoments() {
        Rng rng = new Rng(3);
        INDArray w = Nd4j.create(DataType.DOUBLE, 400, 250), bias = Nd4j.create(DataType.DOUBLE, 400);
        Init.torchLinearDefault(w, bias, rng);
        double bound = 1 / Math.sqrt(250);
        assertBounded(w, bound);
        assertBounded(bias, bound);
        assertEquals(bound / Math.sqrt(3), Init.std(w), 0.01 * bound); // std of U(±a) is a/√3

        INDArray e = Nd4j.create(DataType.DOUBLE, 1000, 100);
        Init.xavierUniform(e, rng);
        double xb = Math.sqrt(6.0 / 1100);
        assertBounded(e, xb);
        assertEquals(xb / Math.sqrt(3), Init.std(e), 0.01 * xb);

        INDArray n = Nd4j.create(DataType.DOUBLE, 300, 300);
        Init.normal(n, rng, 0.02);
        assertEquals(0.02, Init.std(n), 0.02 * 0.01);
        assertEquals(0.0, n.meanNumber().doubleValue(), 0.02 * 0.01);
    }

    @Test
    void constantsFanAndErrors() {
        INDArray a = Nd4j.create(DataType.FLOAT, 3, 4);
        Init.ones(a);
        assertEquals(12.0, a.sumNumber().doubleValue());
        Init.zeros(a);
        assertEquals(0.0, a.sumNumber().doubleValue());
        assertEquals(4, Init.fanIn(a));
        assertEquals(3, Init.fanOut(a));
        assertEquals(5, Init.fanIn(Nd4j.create(DataType.FLOAT, 5)));
        assertThrows(IllegalArgumentException.class, () -> Init.rescaleToStd(a, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Init.preLnStd(0, 4));
    }

    private static void assertBounded(INDArray a, double bound) {
        double max = Math.max(a.maxNumber().doubleValue(), -a.minNumber().doubleValue());
        assertTrue(max <= bound && max > 0.99 * bound, "max |x| " + max + " vs bound " + bound);
    }
}
