package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/** Bad configurations and inputs fail with messages that name the problem; names and shapes are formats.md §2's. */
class SigmaMoeValidationTest {
    @Test
    void registersTheCheckpointTensors() {
        ParamStore st = new ParamStore(DataType.FLOAT);
        new SigmaMoeFfn(st, "layers.3.ffn", 12, 4, 5, 2, 0, 0);
        assertEquals(java.util.List.of(4L, 12L, 5L), java.util.Arrays.stream(st.get("layers.3.ffn.keys").shape).boxed().toList());
        assertEquals(java.util.List.of(4L, 5L, 12L), java.util.Arrays.stream(st.get("layers.3.ffn.values").shape).boxed().toList());
        assertEquals(java.util.List.of(4L, 12L), java.util.Arrays.stream(st.get("layers.3.ffn.expert_sel").shape).boxed().toList());
        assertEquals(2L * 4 * 5 * 12 + 4 * 12, st.size(), "2·N_E·G·d + N_E·d, no biases");
    }

    @Test
    void rejectsBadConfiguration() {
        ParamStore st = new ParamStore(DataType.FLOAT);
        assertMessage("top_k", () -> new SigmaMoeFfn(st, "a", 8, 4, 2, 5, 0, 0));
        assertMessage("expert_dropout", () -> new SigmaMoeFfn(st, "b", 8, 4, 2, 1, 1.0, 0));
        assertMessage("entropy_reg", () -> new SigmaMoeFfn(st, "c", 8, 4, 2, 1, 0, -1));
    }

    @Test
    void rejectsBadInputs() {
        MoeFixture f = new MoeFixture(DataType.DOUBLE, 6, 3, 2, 1, 0.5, 0, 1, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, 5, 6, 2, 1);
        assertMessage("d_model=6", () -> f.layer.forward(MoeFixture.randn(DataType.DOUBLE, 5, 7, 2, 1), false, null));
        assertMessage("FLOAT", () -> f.layer.forward(x.castTo(DataType.FLOAT), false, null));
        assertMessage("needs an Rng", () -> f.layer.forward(x, true, null));
        INDArray wide = MoeFixture.randn(DataType.DOUBLE, 5, 9, 3, 1);
        assertMessage("contiguous", () -> f.layer.forward(wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 6)), false, null));
        assertThrows(IllegalStateException.class, () -> new MoeFixture(DataType.DOUBLE, 6, 3, 2, 1, 0, 0, 1, 0.5).layer
                .backward(MoeFixture.randn(DataType.DOUBLE, 5, 6, 2, 1)));
        f.layer.forward(x, true, new Rng(1));
        assertMessage("[5, 6]", () -> f.layer.backward(MoeFixture.randn(DataType.DOUBLE, 4, 6, 2, 1)));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable ex) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention " + part);
    }
}
