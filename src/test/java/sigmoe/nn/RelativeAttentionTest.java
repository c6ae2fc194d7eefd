package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RelativeAttentionTest {
    static final String P = "layers.0.attn";
    // H·hs = 6 ≠ d = 8, so a mixed-up q/o layout cannot pass.
    static final int D = 8, H = 2, HS = 3;

    /** A layer with non-trivial parameters: weights large enough for peaked softmaxes, non-zero u, v, scale ≠ 1/√hs. */
    static RelativeAttention layer(ParamStore ps, long seed) {
        RelativeAttention a = new RelativeAttention(ps, P, D, H, HS);
        ps.allocate();
        Rng r = new Rng(seed);
        for (String w : new String[] {"q", "k", "v", "r", "o"}) GradCheck.randn(ps.get(P + "." + w + ".weight").value(), r.nextLong(), 0.5);
        GradCheck.randn(ps.get(P + ".content_bias").value(), r.nextLong(), 0.3);
        GradCheck.randn(ps.get(P + ".position_bias").value(), r.nextLong(), 0.3);
        ps.get(P + ".scale").value().putScalar(0, 0.45);
        return a;
    }

    static INDArray input(DataType dt, int rows, long seed) { return GradCheck.randn(Nd4j.create(dt, rows, D), seed, 1.0); }

    static void assertClose(double[][] ref, INDArray got, double tol, String what) {
        assertEquals(ref.length, got.size(0), what + " rows");
        double worst = 0;
        for (int i = 0; i < ref.length; i++)
            for (int j = 0; j < ref[i].length; j++) worst = Math.max(worst, Math.abs(ref[i][j] - got.getDouble(i, j)));
        assertTrue(worst <= tol, what + ": max |layer − reference| = " + worst + " > " + tol);
    }

    @Test
    void forwardMatchesNaiveReferenceInDoubleWithAndWithoutMemory() {
        for (int m : new int[] {0, 3}) {
            ParamStore ps = new ParamStore(DataType.DOUBLE);
            RelativeAttention a = layer(ps, 7 + m);
            int B = 2, T = 4;
            INDArray src = input(DataType.DOUBLE, B * (m + T), 100 + m);
            INDArray out = a.forward(src, B, m, T);
            assertClose(AttentionReference.forward(ps, P, AttentionReference.rows(src), B, m, T, D, H, HS), out, 1e-12, "M=" + m);
        }
    }

    @Test
    void forwardMatchesNaiveReferenceInFloat() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        RelativeAttention a = layer(ps, 8);
        int B = 3, M = 5, T = 4;
        INDArray src = input(DataType.FLOAT, B * (M + T), 200);
        INDArray out = a.forward(src, B, M, T);
        assertClose(AttentionReference.forward(ps, P, AttentionReference.rows(src), B, M, T, D, H, HS), out, 1e-5, "float");
    }

    @Test
    void floatFastPathAgreesWithDoubleAtVectorWidths() {
        // Rows and head columns longer than a vector (16 floats with AVX-512, 8 with AVX2) with ragged tails, so the
        // Vector API loops (softmax, its backward and shift, query gradients) and their scalar tails both run; the
        // DOUBLE layer takes the generic loops, the reference.
        int d = 40, h = 2, hs = 35, B = 2, M = 21, T = 26;
        ParamStore pd = new ParamStore(DataType.DOUBLE), pf = new ParamStore(DataType.FLOAT);
        RelativeAttention ad = new RelativeAttention(pd, P, d, h, hs), af = new RelativeAttention(pf, P, d, h, hs);
        pd.allocate();
        pf.allocate();
        ad.initialise(new Rng(3), 2);
        GradCheck.randn(pd.get(P + ".content_bias").value(), 4, 0.3);
        GradCheck.randn(pd.get(P + ".position_bias").value(), 5, 0.3);
        TestData.copyParams(pd, pf);
        INDArray src = TestData.randn(DataType.DOUBLE, 6, 1.0, B * (M + T), d);
        INDArray dOut = TestData.randn(DataType.DOUBLE, 7, 1.0, B * T, d);
        pd.zeroGrads();
        pf.zeroGrads();
        TestData.assertClose("out", ad.forward(src, B, M, T), af.forward(TestData.asType(src, DataType.FLOAT), B, M, T), 2e-5);
        TestData.assertClose("dSrc", ad.backward(dOut), af.backward(TestData.asType(dOut, DataType.FLOAT)), 2e-5);
        TestData.assertClose("grads", pd.grads(), pf.grads(), 2e-4);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithoutMemory() { gradients(0); }

    @Test
    void gradientsMatchFiniteDifferencesWithMemory() { gradients(3); }

    private void gradients(int m) {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 11 + m);
        int B = 2, T = 4;
        INDArray src = input(DataType.DOUBLE, B * (m + T), 300 + m);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, B * T, D), 400 + m, 1.0);
        ps.zeroGrads();
        a.forward(src, B, m, T);
        INDArray dSrc = a.backward(r).dup();
        java.util.function.DoubleSupplier loss = () -> GradCheck.dot(a.forward(src, B, m, T), r);
        GradCheck.check("src (M=" + m + ")", src, dSrc, loss, 1000, 1e-5, 1e-6);
        for (Param p : ps.params()) {
            // r.weight's columns for the slowest sinusoid frequencies see cos ≈ 1 at every offset, a per-query
            // constant the softmax ignores, so their gradients are ~1e-7 and a small step drowns in the loss's
            // rounding noise (measured: at eps 1e-5 those differ by ~1e-10 absolute, while eps 1e-2 adds truncation
            // error on the large entries). eps 1e-3 keeps both below 1e-5 relative for this tensor.
            boolean pos = p.name.endsWith(".r.weight");
            GradCheck.check(p.name + " (M=" + m + ")", p.value(), p.grad(), loss, 1000, pos ? 1e-3 : 1e-5, pos ? 1e-5 : 1e-6);
        }
        // The memory rows do receive gradient (keys and values), which the caller needs for LN1's weights.
        if (m > 0) assertTrue(Math.abs(dSrc.getDouble(0, 0)) + Math.abs(dSrc.getDouble(1, 2)) > 0);
    }

    @Test
    void backwardAccumulatesParameterGradients() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 3);
        INDArray src = input(DataType.DOUBLE, 2 * 7, 5);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, 2 * 4, D), 6, 1.0);
        a.forward(src, 2, 3, 4);
        a.backward(r);
        INDArray once = ps.grads().dup();
        a.forward(src, 2, 3, 4);
        a.backward(r);
        INDArray twice = ps.grads();
        for (int i = 0; i < once.length(); i++) assertEquals(2 * once.getDouble(i), twice.getDouble(i), 1e-12);
    }

    @Test
    void causalityFutureSegmentTokensNeverChangeEarlierOutputs() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 21);
        int B = 2, M = 3, T = 5, L = M + T, changed = 2;   // change stream 1's segment token 2
        INDArray src = input(DataType.DOUBLE, B * L, 22);
        INDArray before = a.forward(src, B, M, T).dup();
        for (int c = 0; c < D; c++) src.putScalar(L + M + changed, c, src.getDouble(L + M + changed, c) + 0.7);
        INDArray after = a.forward(src, B, M, T);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++) {
                boolean mayChange = b == 1 && i >= changed;
                for (int c = 0; c < D; c++) {
                    double x = before.getDouble(b * T + i, c), y = after.getDouble(b * T + i, c);
                    if (!mayChange) assertEquals(x, y, 0.0, "stream " + b + " query " + i + " must not see the change");
                }
                if (mayChange) assertNotEquals(before.getDouble(b * T + i, 0), after.getDouble(b * T + i, 0));
            }
    }

    @Test
    void memoryOfThePreviousSegmentEqualsAttendingOverTheConcatenation() {
        // XL recurrence for one stream: segment 2 with memory = segment 1's (normalised) inputs must equal the last
        // T outputs of one pass over both segments without memory, and the reference over the concatenation.
        int T = 4;
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 31);
        INDArray both = input(DataType.DOUBLE, 2 * T, 32);
        INDArray whole = a.forward(both, 1, 0, 2 * T).dup();
        INDArray withMemory = a.forward(both, 1, T, T);
        double[][] ref = AttentionReference.forward(ps, P, AttentionReference.rows(both), 1, 0, 2 * T, D, H, HS);
        for (int i = 0; i < T; i++)
            for (int c = 0; c < D; c++) {
                assertEquals(whole.getDouble(T + i, c), withMemory.getDouble(i, c), 1e-12);
                assertEquals(ref[T + i][c], withMemory.getDouble(i, c), 1e-12);
            }
    }

    @Test
    void buffersFollowShapeChanges() {
        // Grow, shrink and grow again: reused buffers must give the same result as a fresh layer every time.
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 41);
        int[][] shapes = {{1, 0, 3}, {3, 4, 5}, {2, 1, 2}, {3, 4, 5}, {1, 5, 3}};
        for (int[] s : shapes) {
            int B = s[0], M = s[1], T = s[2];
            INDArray src = input(DataType.DOUBLE, B * (M + T), 42 + B + M + T);
            INDArray out = a.forward(src, B, M, T);
            assertClose(AttentionReference.forward(ps, P, AttentionReference.rows(src), B, M, T, D, H, HS), out, 1e-12,
                    "shape " + java.util.Arrays.toString(s));
            INDArray dSrc = a.backward(Nd4j.ones(DataType.DOUBLE, B * T, D));
            assertEquals(B * (M + T), dSrc.size(0));
        }
    }

    @Test
    void initialiseUsesExactEmpiricalStdAndPaperDefaults() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        RelativeAttention a = new RelativeAttention(ps, P, 16, 2, 5);
        ps.allocate();
        int nLayers = 4;
        a.initialise(new Rng(9), nLayers);
        for (String w : new String[] {"q", "k", "v", "r", "o"}) {
            INDArray x = ps.get(P + "." + w + ".weight").value();
            int fanIn = (int) x.size(1);
            double target = Math.sqrt(2.0 / (nLayers * fanIn));
            Mem m = Mem.of(x);
            double sum = 0, ss = 0, maxAbs = 0;
            for (int i = 0; i < m.length; i++) sum += m.get(i);
            double mean = sum / m.length;
            for (int i = 0; i < m.length; i++) { ss += Math.pow(m.get(i) - mean, 2); maxAbs = Math.max(maxAbs, Math.abs(m.get(i))); }
            Reference.reachabilityFence(x);
            assertEquals(target, Math.sqrt(ss / (m.length - 1)), 1e-6 * target, w + " std");
            // truncated at ±2 before the rescale, so no entry exceeds 2·(rescale factor) ≈ 2·target·(1/0.88)
            assertTrue(maxAbs < 2.5 * target, w + " truncation");
        }
        for (String b : new String[] {"content_bias", "position_bias"}) {
            INDArray bias = ps.get(P + "." + b).value();
            for (int i = 0; i < 10; i++) assertEquals(0.0, Mem.of(bias).get(i));
            Reference.reachabilityFence(bias);
        }
        assertEquals(1 / Math.sqrt(5), ps.get(P + ".scale").value().getDouble(0), 1e-7);
        // Deterministic given the seed.
        ParamStore ps2 = new ParamStore(DataType.FLOAT);
        RelativeAttention a2 = new RelativeAttention(ps2, P, 16, 2, 5);
        ps2.allocate();
        a2.initialise(new Rng(9), nLayers);
        assertEquals(ps.values(), ps2.values());
    }

    @Test
    void registersCheckpointNamesAndShapes() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        new RelativeAttention(ps, "layers.3.attn", 412, 10, 41);
        assertEquals(5L * 412 * 410 + 2 * 410 + 1, ps.size());  // q, k, v, r [410, 412], o [412, 410], u, v, scale
        assertEquals(java.util.List.of(410L, 412L), java.util.Arrays.stream(ps.get("layers.3.attn.r.weight").shape).boxed().toList());
        assertEquals(java.util.List.of(412L, 410L), java.util.Arrays.stream(ps.get("layers.3.attn.o.weight").shape).boxed().toList());
        assertEquals(java.util.List.of(10L, 41L), java.util.Arrays.stream(ps.get("layers.3.attn.position_bias").shape).boxed().toList());
        assertTrue(ps.has("layers.3.attn.content_bias") && ps.has("layers.3.attn.scale") && ps.has("layers.3.attn.q.weight"));
    }

    @Test
    void badInputsGetClearErrors() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        RelativeAttention a = layer(ps, 51);
        assertThrows(IllegalStateException.class, () -> a.backward(Nd4j.create(DataType.DOUBLE, 4, D)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.forward(Nd4j.create(DataType.DOUBLE, 7, D), 1, 2, 4));
        assertTrue(e.getMessage().contains("[6, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.forward(Nd4j.create(DataType.FLOAT, 6, D), 1, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> a.forward(Nd4j.create(DataType.DOUBLE, 6, D), 1, 6, 0));
        assertThrows(IllegalArgumentException.class, () -> a.forward(Nd4j.create(DataType.DOUBLE, D, 6).transpose(), 1, 2, 4));
        a.forward(Nd4j.create(DataType.DOUBLE, 6, D), 1, 2, 4);
        assertThrows(IllegalArgumentException.class, () -> a.backward(Nd4j.create(DataType.DOUBLE, 6, D)));
    }
}
