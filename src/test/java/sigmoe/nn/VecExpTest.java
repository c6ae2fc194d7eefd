package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecExpTest {
    @Test
    void polynomialExpIsAccurateAndMaskedLanesGiveZero() {
        int l = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[l], y = new float[l];
        double worst = 0;
        for (float v = -80f; v <= 87.9f; v += 0.0137f) { // below ~-87.3 results are subnormal
            for (int i = 0; i < l; i++) x[i] = v + i * 1e-3f;
            VecKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int i = 0; i < l; i++) worst = Math.max(worst, Math.abs(y[i] / Math.exp(x[i]) - 1));
        }
        assertTrue(worst < 3e-7, "relative error " + worst);
        for (int i = 0; i < l; i++) x[i] = i % 2 == 0 ? Float.NEGATIVE_INFINITY : -100f;
        VecKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
        for (float v : y) assertEquals(0f, v);
    }

    @Test
    void laneSumsRunInLaneOrder() {
        int l = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[l];
        x[0] = 1e8f;
        for (int i = 1; i < l; i++) x[i] = 1f;
        x[l - 1] = -1e8f;
        float expect = 0;
        for (float v : x) expect += v;
        assertEquals(expect, VecKernels.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)));
        // all lanes −0: a loop from 0 gives +0, and so must the unrolled sum (0 + −0 = +0)
        java.util.Arrays.fill(x, -0f);
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(VecKernels.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0))));
    }

    @Test
    void laneSumsKeepTheirBitsOnceCompiled() {
        int l = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[l];
        for (int i = 0; i < l; i++) x[i] = (float) Math.sin(1.7 * i) * (i % 3 == 0 ? 1e4f : 1e-3f);
        FloatVector v = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0);
        float cold = VecKernels.sumLanes(v), loop = 0;
        for (float e : x) loop += e;
        float hot = 0;
        for (int r = 0; r < 300_000; r++) hot = VecKernels.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)); // C2 by now
        assertEquals(Float.floatToIntBits(loop), Float.floatToIntBits(cold));
        assertEquals(Float.floatToIntBits(loop), Float.floatToIntBits(hot));
    }
}
