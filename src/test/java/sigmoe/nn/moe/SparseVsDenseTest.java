package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Rng;

/**
 * The sparse layer (bucketed gather → per-expert GEMMs → combine) against the dense-masked reference, in DOUBLE:
 * the output and every gradient (x, W1, W2, W3) agree to rounding, with and without the entropy regulariser and in
 * training with expert dropout (same seed ⇒ same mask).
 */
class SparseVsDenseTest {
    @ParameterizedTest(name = "training={0} δ={1} γ={2} N_E={3} K={4}")
    @CsvSource({
            "false, 0.0, 0.0, 6, 2",
            "true, 0.0, 0.0, 6, 2",
            "true, 0.0, 0.3, 6, 2",
            "true, 0.4, 0.0, 6, 2",
            "true, 0.4, 0.3, 6, 2",
            "true, 0.7, 0.3, 5, 3",   // often fewer than K survivors: empty slots
            "true, 0.0, 0.3, 4, 4",   // K = N_E: every expert
            "false, 0.5, 0.5, 6, 2",  // eval: neither dropout nor regulariser
    })
    void sparseEqualsDenseMasked(boolean training, double delta, double gamma, int ne, int k) {
        int n = 40, d = 9, g = 5;
        long seed = 77;
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, g, k, delta, gamma, 5, 0.4);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 11, 1.0);
        INDArray dy = MoeFixture.randn(DataType.DOUBLE, n, d, 12, 1.0);
        f.layer.setCollectStats(true);
        INDArray y = f.layer.forward(x, training, new Rng(seed));
        f.store.zeroGrads();
        INDArray dx = f.layer.backward(dy);

        DenseMaskedReference ref = f.reference(n);
        ref.forward(MoeFixture.arr(x), training, delta, seed, gamma);
        ref.backward(MoeFixture.arr(dy), gamma);

        double tol = 1e-12;
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(y), ref.y) < tol, "forward y");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(dx), ref.dx) < tol, "dx");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.keys.grad()), ref.dw1) < tol, "dW1");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.values.grad()), ref.dw2) < tol, "dW2");
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(f.layer.expertSel.grad()), ref.dw3) < tol, "dW3");
        assertEquals(ref.regLoss, f.layer.entropyLoss(), 1e-14);
        if (training && gamma > 0) assertTrue(ref.regLoss < 0, "L = −H(p) is negative");

        // routing and statistics agree with the reference's mask
        long[] sel = new long[ne];
        long[] active = new long[ne * g];
        int slotsUsed = 0;
        for (int t = 0; t < n; t++) {
            int survivors = 0;
            for (int e = 0; e < ne; e++) {
                if (!ref.dropped[t * ne + e]) survivors++;
                if (!ref.selected[t * ne + e]) continue;
                sel[e]++;
                for (int c = 0; c < g; c++) if (ref.a[(t * ne + e) * g + c] > 0) active[e * g + c]++;
            }
            for (int j = 0; j < k; j++) {
                int e = f.layer.selected(t, j);
                if (e >= 0) {
                    slotsUsed++;
                    assertTrue(ref.selected[t * ne + e], "token " + t + " slot " + j);
                    assertEquals(ref.s[t * ne + e], f.layer.gate(t, j), 1e-14, "gate is the raw sigmoid value");
                }
            }
            assertEquals(Math.min(k, survivors), countSelected(f.layer, t, k), "token " + t);
        }
        ExpertStats st = f.layer.stats();
        assertEquals(n, st.tokens());
        assertEquals(slotsUsed, java.util.Arrays.stream(st.selections()).sum());
        org.junit.jupiter.api.Assertions.assertArrayEquals(sel, st.selections());
        org.junit.jupiter.api.Assertions.assertArrayEquals(active, st.activeChannels());
        long[] co = st.cooccurrence();
        for (int e = 0; e < ne; e++) {
            assertEquals(sel[e], co[e * ne + e], "co-occurrence diagonal = usage");
            for (int e2 = 0; e2 < ne; e2++) assertEquals(co[e * ne + e2], co[e2 * ne + e], "symmetric");
        }
    }

    @Test
    void largeBatchRoutedInParallelBlocksMatchesTheReference() {
        int n = 5000, d = 8, ne = 6, g = 3, k = 2; // selection runs in token blocks of 2048
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, g, k, 0.3, 0.2, 90, 0.4);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 91, 1.0);
        INDArray y = f.layer.forward(x, true, new Rng(92));
        DenseMaskedReference ref = f.reference(n);
        ref.forward(MoeFixture.arr(x), true, 0.3, 92, 0.2);
        assertTrue(MoeFixture.relDiff(MoeFixture.arr(y), ref.y) < 1e-12);
        assertEquals(ref.regLoss, f.layer.entropyLoss(), 1e-13);
        for (int t = 0; t < n; t++)
            for (int j = 0; j < k; j++) {
                int e = f.layer.selected(t, j);
                assertTrue(e < 0 || ref.selected[t * ne + e], "token " + t);
            }
    }

    private static int countSelected(SigmaMoeFfn l, int t, int k) {
        int c = 0;
        for (int j = 0; j < k; j++) if (l.selected(t, j) >= 0) c++;
        return c;
    }
}
