package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SinusoidTest {
    @Test
    void interleavesSinAndCosWithTheDModelFrequencies() {
        int d = 6;
        INDArray t = Sinusoid.fill(Nd4j.create(DataType.DOUBLE, 5, d), -3);   // positions -3..1
        for (int k = 0; k < 5; k++) {
            int pos = k - 3;
            for (int i = 0; 2 * i < d; i++) {
                double angle = pos / Math.pow(10000, 2.0 * i / d);
                assertEquals(Math.sin(angle), t.getDouble(k, 2 * i), 1e-15);
                assertEquals(Math.cos(angle), t.getDouble(k, 2 * i + 1), 1e-15);
            }
        }
        // offset 0 is [0, 1, 0, 1, ...]; negative offsets flip the sines only
        for (int c = 0; c < d; c++) {
            assertEquals(c % 2 == 0 ? 0.0 : 1.0, t.getDouble(3, c), 0.0);
            assertEquals((c % 2 == 0 ? -1 : 1) * t.getDouble(4, c), t.getDouble(2, c), 1e-15);
        }
    }

    @Test
    void oddWidthEndsWithAnUnpairedSineAndFloatIsTheRoundedDouble() {
        int d = 5;
        INDArray dbl = Sinusoid.fill(Nd4j.create(DataType.DOUBLE, 3, d), 1000);
        INDArray flt = Sinusoid.fill(Nd4j.create(DataType.FLOAT, 3, d), 1000);
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < d; c++) {
                assertEquals(Sinusoid.value(1000 + k, c, d), dbl.getDouble(k, c), 0.0);
                assertEquals((float) dbl.getDouble(k, c), flt.getFloat(k, c), 0.0f);
            }
        assertEquals(Math.sin(1001 / Math.pow(10000, 4.0 / 5)), dbl.getDouble(1, 4), 1e-15);
    }
}
