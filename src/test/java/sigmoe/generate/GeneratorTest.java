package sigmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.eval.EvalFixtures;
import sigmoe.model.TransformerXL;
import sigmoe.nn.Rng;

class GeneratorTest {
    static final int V = 23;

    static TransformerXL model(DataType dt) {
        TransformerXL m = new TransformerXL(EvalFixtures.tiny(V), dt);
        m.initialise(9);
        return m;
    }

    static int[] randomTokens(int n, long seed) {
        Rng r = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(V);
        return t;
    }

    /** Next-token log-probabilities after every position, from one forward over the whole text without memory. */
    static double[][] fullContext(TransformerXL m, int[] text) {
        int[] tg = new int[text.length];
        Arrays.fill(tg, -1);
        m.resetMemory();
        m.forward(text, tg, 1, text.length, 0, false, null);
        double[][] r = new double[text.length][];
        for (int i = 0; i < text.length; i++) r[i] = m.logProbs().getRow(i).toDoubleVector();
        m.resetMemory();
        return r;
    }

    @Test
    void feedingChunksAndSingleTokensWithMemoryEqualsOneForwardOverTheWholeText() {
        TransformerXL m = model(DataType.DOUBLE);
        int[] text = randomTokens(31, 1);
        double[][] want = fullContext(m, text);
        Generator g = new Generator(m, 8, 64); // a 20-token prompt in chunks of 8, 8 and 4, then 11 single tokens
        g.reset();
        assertArrayEquals(want[19], g.feed(Arrays.copyOf(text, 20)), 1e-9);
        for (int i = 20; i < text.length; i++) assertArrayEquals(want[i], g.feed(new int[] {text[i]}), 1e-9, "position " + i);
        assertEquals(31, m.memoryLength());
    }

    @Test
    void memoryIsBoundedAndALongerOneChangesTheScores() {
        TransformerXL m = model(DataType.DOUBLE);
        int[] text = randomTokens(40, 2);
        double[][] want = fullContext(m, text);
        Generator g = new Generator(m, 8, 6);
        g.reset();
        double[] last = null;
        for (int i = 0; i < text.length; i += 8) last = g.feed(Arrays.copyOfRange(text, i, i + 8));
        assertEquals(6, m.memoryLength());
        double diff = 0;
        for (int i = 0; i < V; i++) diff = Math.max(diff, Math.abs(last[i] - want[39][i]));
        assertTrue(diff > 1e-6, "a 6-token memory cannot see what the full context sees");
    }

    @Test
    void generatesNTokensDeterministicallyPerSeedAndGreedyFollowsTheArgmax() {
        TransformerXL m = model(DataType.FLOAT);
        Generator g = new Generator(m, 16, 64);
        int[] prompt = randomTokens(10, 3);
        Sampler s = new Sampler(1.0, 0, 1);
        int[] a = g.generate(prompt, 25, s, new Rng(5), null);
        int[] b = g.generate(prompt, 25, s, new Rng(5), null);
        int[] c = g.generate(prompt, 25, s, new Rng(6), null);
        assertEquals(25, a.length);
        assertArrayEquals(a, b);
        assertTrue(!Arrays.equals(a, c), "another seed, another sample");
        for (int id : a) assertTrue(id >= 0 && id < V);
        assertEquals(0, m.memoryLength(), "memory reset afterwards");

        int[] greedy = g.generate(prompt, 6, new Sampler(0, 0, 1), new Rng(1), null);
        g.reset();
        double[] scores = g.feed(prompt);
        for (int i = 0; i < 6; i++) {
            assertEquals(Sampler.byDecreasingScore(scores)[0], greedy[i], "step " + i);
            scores = g.feed(new int[] {greedy[i]});
        }
    }
}
