package sigmoe.nn.variants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.moe.Selection;
import sigmoe.nn.moe.SigmaMoeFfn;

/**
 * Central finite differences (DOUBLE) through the σ-MoE layer with each alternative selection rule and the
 * "standard dropout" ablation: loss = Σ y⊙R + γ·regLoss. Every loss evaluation replays the same seed (same masks)
 * and asserts that the selection did not change under the perturbation (a flip would make the numeric gradient
 * meaningless rather than let a wrong one pass).
 */
class MoeVariantGradCheckTest {
    // eps 1e-5: the round-off of an O(1) loss is ~1e-11 in the quotient, which is 1e-5 relative on the smallest
    // (~5e-7) entries; a wrong term gives errors of 1e-2 and more (the large-γ rows check the regularisers alone)
    private static final double EPS = 1e-5, TOL = 1e-4;
    static final int N = 12, D = 7, NE = 6, G = 4, T = 4;

    static Selection make(String kind) {
        return switch (kind) {
            case "sigmoid" -> null;
            case "softmax" -> new SoftmaxSelection(false, false);
            case "renorm" -> new SoftmaxSelection(true, false);
            case "renorm_slot_entropy" -> new SoftmaxSelection(true, true);
            case "switch_paper" -> new SwitchSelection(false);
            case "switch_code" -> new SwitchSelection(true);
            case "sbase" -> new SinkhornSelection(3);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest(name = "{0} K={1} δ={2} γ={3} scoreDropout={4}")
    @CsvSource({
            "softmax, 2, 0.0, 0.5, 0.0",
            "softmax, 2, 0.3, 0.5, 0.0",
            "renorm, 3, 0.0, 0.5, 0.0",
            "renorm, 2, 0.3, 0.5, 0.0",
            "renorm_slot_entropy, 3, 0.0, 0.7, 0.0",
            "renorm_slot_entropy, 2, 0.3, 0.7, 0.0",
            "renorm_slot_entropy, 2, 0.3, 50.0, 0.0",
            "switch_code, 1, 0.0, 500.0, 0.0",
            "switch_paper, 1, 0.0, 0.5, 0.0",
            "switch_code, 1, 0.0, 3.0, 0.3",
            "switch_paper, 2, 0.0, 0.5, 0.0",
            "sbase, 2, 0.0, 0.5, 0.0",
            "sbase, 1, 0.3, 0.5, 0.0",
            "sigmoid, 2, 0.0, 0.5, 0.4",
            "softmax, 2, 0.2, 0.5, 0.3"})
    void finiteDifferencesMatchBackward(String kind, int k, double delta, double gamma, double scoreDrop) {
        ParamStore store = new ParamStore(DataType.DOUBLE);
        SigmaMoeFfn layer = new SigmaMoeFfn(store, "layers.0.ffn", D, NE, G, k, delta, gamma);
        store.allocate();
        GradCheck.randn(layer.keys.value(), 51, 0.5);
        GradCheck.randn(layer.values.value(), 52, 0.5);
        GradCheck.randn(layer.expertSel.value(), 53, 1.5);
        layer.setSelection(make(kind));
        layer.setScoreDropout(scoreDrop);
        layer.setSequenceLength(T);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, N, D), 54, 1.0);
        INDArray r = GradCheck.randn(Nd4j.create(DataType.DOUBLE, N, D), 55, 1.0);
        long seed = 7;

        layer.forward(x, true, new Rng(seed));
        int[] base = selections(layer, k);
        Supplier<Double> forwardLoss = () -> GradCheck.dot(layer.forward(x, true, new Rng(seed)), r) + gamma * layer.regLoss();
        DoubleSupplier loss = () -> {
            double l = forwardLoss.get();
            assertTrue(java.util.Arrays.equals(base, selections(layer, k)), "selection changed under a perturbation");
            return l;
        };
        double l0 = forwardLoss.get();
        if (gamma > 0) assertTrue(layer.regLoss() != 0, "the regulariser is active in training");
        store.zeroGrads();
        INDArray dx = layer.backward(r).dup();
        assertTrue(Double.isFinite(l0));

        GradCheck.check("x", x, dx, loss, 84, EPS, TOL);
        GradCheck.check("W1", layer.keys.value(), layer.keys.grad(), loss, 60, EPS, TOL);
        GradCheck.check("W2", layer.values.value(), layer.values.grad(), loss, 60, EPS, TOL);
        GradCheck.check("W3", layer.expertSel.value(), layer.expertSel.grad(), loss, 42, EPS, TOL);
    }

    static int[] selections(SigmaMoeFfn layer, int k) {
        int[] s = new int[N * k];
        for (int t = 0; t < N; t++) for (int j = 0; j < k; j++) s[t * k + j] = layer.selected(t, j);
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"softmax", "renorm", "switch_code", "sbase"})
    void gatesFollowTheirDefinition(String kind) {
        int k = 2;
        ParamStore store = new ParamStore(DataType.DOUBLE);
        SigmaMoeFfn layer = new SigmaMoeFfn(store, "l", D, NE, G, k, 0, 0);
        store.allocate();
        GradCheck.randn(layer.keys.value(), 1, 0.5);
        GradCheck.randn(layer.values.value(), 2, 0.5);
        GradCheck.randn(layer.expertSel.value(), 3, 1.5);
        layer.setSelection(make(kind));
        INDArray x = GradCheck.randn(Nd4j.create(DataType.DOUBLE, N, D), 4, 1.0);
        layer.forward(x, false, null); // eval: every rule ranks by the logits
        INDArray z = Nd4j.create(DataType.DOUBLE, N, NE);
        Nd4j.gemm(x, layer.expertSel.value(), z, false, true, 1.0, 0.0);
        for (int t = 0; t < N; t++) {
            double[] zt = new double[NE];
            for (int e = 0; e < NE; e++) zt[e] = z.getDouble(t, e);
            Integer[] order = new Integer[NE];
            for (int e = 0; e < NE; e++) order[e] = e;
            java.util.Arrays.sort(order, (p, q) -> Double.compare(zt[q], zt[p]));
            double max = zt[order[0]], sum = 0;
            for (double v : zt) sum += Math.exp(v - max);
            double e0 = Math.exp(zt[order[0]] - max), e1 = Math.exp(zt[order[1]] - max);
            for (int j = 0; j < k; j++) {
                assertEquals(order[j], layer.selected(t, j), kind + ": top-K by logit");
                double zj = zt[order[j]];
                double want = switch (kind) {
                    case "renorm" -> (j == 0 ? e0 : e1) / (e0 + e1);
                    case "sbase" -> 1 / (1 + Math.exp(-zj));
                    default -> Math.exp(zj - max) / sum;
                };
                assertEquals(want, layer.gate(t, j), 1e-12, kind + " gate of token " + t + " slot " + j);
            }
        }
    }
}
