package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The round state's sums and its wire forms: exact means whatever the combination order, bit-exact serialisation. */
class StateSumTest {
    static final int N = 70_001; // more than one 64 KB chunk of ArrayIO, and not a multiple of it

    static float[] random(Random r, float scale) {
        float[] a = new float[N];
        for (int i = 0; i < N; i++) a[i] = (float) (r.nextGaussian() * scale);
        a[7] = Float.MIN_VALUE;
        a[8] = -0f;
        return a;
    }

    static StateSum slice(int w) {
        Random r = new Random(w);
        return StateSum.of(random(r, 1), random(r, 1e-3f), random(r, 1e-6f));
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T x) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) { out.writeObject(x); }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) { return (T) in.readObject(); }
    }

    /**
     * The mean of W slices: their sum in double (from the first term, so -0.0 stays where every slice holds it), / W,
     * rounded to float.
     */
    static float[] expected(int k, int... slices) {
        double[] s = null;
        for (int w : slices) {
            Random r = new Random(w);
            float[][] st = {random(r, 1), random(r, 1e-3f), random(r, 1e-6f)};
            if (s == null) {
                s = new double[N];
                for (int i = 0; i < N; i++) s[i] = st[k][i];
            } else {
                for (int i = 0; i < N; i++) s[i] += st[k][i];
            }
        }
        float[] out = new float[N];
        for (int i = 0; i < N; i++) out[i] = (float) (s[i] / slices.length);
        return out;
    }

    @Test
    void theMeanOfOneSliceIsItsOwnArray() throws Exception {
        StateSum one = slice(3);
        float[] p = one.mean(0, 1);
        assertSame(p, one.mean(0, 1));
        assertArrayEquals(expected(0, 3), p);
        assertArrayEquals(p, roundTrip(one).mean(0, 1), "a slice's result crosses the network bit for bit");
    }

    @Test
    void twoSlicesGiveTheSameBitsInEitherOrderAndAfterTheWire() throws Exception {
        StateSum ab = slice(1), ba = slice(2);
        ab.add(slice(2));
        ba.add(slice(1));
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(expected(k, 1, 2), ab.mean(k, 2));
            assertArrayEquals(expected(k, 1, 2), ba.mean(k, 2));
        }
        StateSum wired = roundTrip(ab);
        assertEquals(2, wired.terms());
        for (int k = 0; k < 3; k++) assertArrayEquals(expected(k, 1, 2), wired.mean(k, 2));
    }

    @Test
    void anyTreeOfFiveSlicesGivesTheSameBits() throws Exception {
        // ((0 + 1) + (2 + 3)) + 4, with one partial sum serialised as an executor would send it ...
        StateSum left = slice(0);
        left.add(slice(1));
        StateSum right = slice(2);
        right.add(slice(3));
        right.add(slice(4)); // three float terms: now a double sum
        StateSum tree = roundTrip(right);
        tree.add(roundTrip(left));
        // ... and 4 + 3 + 2 + 1 + 0 one by one
        StateSum chain = slice(4);
        for (int w = 3; w >= 0; w--) chain.add(slice(w));
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(expected(k, 0, 1, 2, 3, 4), tree.mean(k, 5));
            assertArrayEquals(expected(k, 0, 1, 2, 3, 4), chain.mean(k, 5));
        }
    }

    @Test
    void theBroadcastStateCrossesTheWireBitForBit() throws Exception {
        Random r = new Random(9);
        float[] p = random(r, 1), m = random(r, 1), v = random(r, 1);
        p[0] = Float.NaN;
        v[1] = Float.NEGATIVE_INFINITY;
        RoundState back = roundTrip(new RoundState(42, 40, p, m, v));
        assertEquals(42, back.step());
        assertEquals(40, back.adamStep());
        assertArrayEquals(p, back.params());
        assertArrayEquals(m, back.m());
        assertArrayEquals(v, back.v());
        assertEquals(0, roundTrip(new RoundState(0, 0, new float[0], new float[0], new float[0])).params().length);
    }
}
