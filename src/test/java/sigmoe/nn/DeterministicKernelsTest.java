package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels compute the same bits in every JIT tier: e^x from IEEE arithmetic only (no lanewise EXP,
 * whose interpreted and compiled forms differ in the last bit) and lane sums in lane order (no reduceLanes(ADD)).
 * Without this a resumed run, or two slices in one JVM, were not bit-reproducible (see sigmoe.reliability).
 */
class DeterministicKernelsTest {
    static final int L = FloatVector.SPECIES_PREFERRED.length();

    static float[] exp(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += L) {
            float[] in = new float[L];
            System.arraycopy(x, i, in, 0, Math.min(L, x.length - i));
            float[] e = VecKernels.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, in, 0)).toArray();
            System.arraycopy(e, 0, out, i, Math.min(L, x.length - i));
        }
        return out;
    }

    // accuracy and edge cases of exp: VecExpTest (inputs above 88 clamp; softmax only feeds x <= 0)

    @Test
    void sameBitsBeforeAndAfterCompilation() {
        float[] x = new float[4 * L];
        for (int i = 0; i < x.length; i++) x[i] = -7.3f + 0.37f * i;
        float[] cold = exp(x);
        float coldSum = VecKernels.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0));
        for (int r = 0; r < 200_000; r++) exp(x); // C2 compiles exp by now
        assertEquals(java.util.Arrays.toString(cold), java.util.Arrays.toString(exp(x)));
        float s = 0;
        for (int i = 0; i < L; i++) s += x[i];
        assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(coldSum), "lanes summed in order");
    }
}
