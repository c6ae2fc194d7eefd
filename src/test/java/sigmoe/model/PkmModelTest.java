package sigmoe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Init;
import sigmoe.nn.Param;
import sigmoe.nn.Rng;

/** ffn = pkm inside the Transformer-XL: gradients through the whole model, tensors and counts, init routing, config. */
class PkmModelTest {
    static final int B = 2, T = 4, V = 11;

    static ModelConfig pkm(int d, int nKeys, int heads, String act, String init) {
        FfnOptions o = FfnOptions.DEFAULT.withPkm(nKeys, heads, act, init);
        return new ModelConfig(V, d, 2, 2, 3, FfnKind.PKM, nKeys * nKeys, 0, 0, 0, 1e-5, 0.1, 0, 0, false, o).validate();
    }

    static int[] ids(long seed) {
        Rng r = new Rng(seed);
        int[] a = new int[B * T];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(V);
        return a;
    }

    /** The second segment's loss (the first one's memory is a detached constant), with dropout 0.1 on a fixed seed. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"relu", "softmax"})
    void wholeModelGradientsMatchFiniteDifferences(String act) {
        TransformerXL m = new TransformerXL(pkm(8, 3, 4, act, "pkm"), DataType.DOUBLE);
        m.initialise(7);
        m.forward(ids(1), ids(2), B, T, T, false, null);
        TransformerXL.Memory mem = m.saveMemory();
        int[] in = ids(3), tg = ids(4);
        DoubleSupplier loss = () -> {
            m.restoreMemory(mem);
            return m.forward(in, tg, B, T, T, true, new Rng(9)).meanCe();
        };
        m.params.zeroGrads();
        m.restoreMemory(mem);
        TransformerXL.Loss l = m.forward(in, tg, B, T, T, true, new Rng(9));
        assertEquals(0.0, l.reg(), "pkm has no regulariser");
        m.backward(1.0 / l.count());
        for (Param p : m.params.params()) {
            boolean ffn = p.name.contains(".ffn.");
            if (!ffn && !p.name.startsWith("embedding") && !p.name.contains("norm2")) continue;
            // the PKM tensors (64 of their 48/72 entries per layer), and the embedding and LN2 behind the layer input
            GradCheck.check(p.name, p.value(), p.grad(), loss, ffn ? 64 : 16, 1e-5, 1e-5);
        }
    }

    @Test
    void tensorsAndCountsAreTheParamStores() {
        ModelConfig c = pkm(10, 4, 3, "relu", "pkm");
        TransformerXL m = new TransformerXL(c, DataType.FLOAT);
        Map<String, long[]> shapes = ParamCount.tensorShapes(c);
        List<String> names = new ArrayList<>();
        for (Param p : m.params.params()) {
            names.add(p.name);
            assertArrayEquals(shapes.get(p.name), p.shape, p.name);
        }
        assertEquals(new java.util.TreeSet<>(shapes.keySet()), new java.util.TreeSet<>(names), "the same tensors");
        assertArrayEquals(new long[] {3, 4, 5}, shapes.get("layers.1.ffn.keys_a"));
        assertArrayEquals(new long[] {16, 10}, shapes.get("layers.1.ffn.values"));
        assertEquals(ParamCount.model(c), m.params.size());
        assertEquals(3L * 4 * 10 + 16L * 10, ParamCount.ffnPerLayer(c), "heads·n_keys·d + n_keys²·d, no biases");
        assertEquals(2L * 10 * 4 + 2L * 10 * 16, ParamCount.ffnFlopsPerToken(c));
    }

    @Test
    void theValueInitKeyReachesTheLayers() {
        int d = 32, nKeys = 12, layers = 2;
        double scale = Math.sqrt(2.0 / layers);
        for (String init : List.of("pkm", "dense")) {
            TransformerXL m = new TransformerXL(pkm(d, nKeys, 4, "relu", init), DataType.DOUBLE);
            m.initialise(5);
            double want = scale / Math.sqrt(init.equals("dense") ? nKeys * nKeys : d);
            for (int l = 0; l < layers; l++) {
                assertEquals(want, Init.std(m.params.get("layers." + l + ".ffn.values").value()), 0.03 * want, init);
                assertEquals(scale / Math.sqrt(d), Init.std(m.params.get("layers." + l + ".ffn.keys_b").value()), 0.1 * scale / Math.sqrt(d));
            }
        }
    }

    @Test
    void configurationErrorsNameTheKey() {
        Exception e = assertThrows(RuntimeException.class, () -> RunConfig.load(List.of("tiny-dense"), List.of("model.ffn=pkm", "model.d_ff=null")));
        assertTrue(e.getMessage().contains("pkm_keys"), e.getMessage());
        e = assertThrows(RuntimeException.class, () -> RunConfig.load(List.of("cpu-pkm-params-relu"), List.of("model.d_ff=517")));
        assertTrue(e.getMessage().contains("pkm_keys² = 900") && e.getMessage().contains("d_ff=null"), e.getMessage());
        e = assertThrows(RuntimeException.class, () -> RunConfig.load(List.of("cpu-pkm-params-relu"), List.of("model.d_model=127")));
        assertTrue(e.getMessage().contains("d_model must be even"), e.getMessage());
        e = assertThrows(RuntimeException.class, () -> RunConfig.load(List.of("cpu-pkm-params-relu"), List.of("model.pkm_activation=gelu")));
        assertTrue(e.getMessage().contains("relu, softmax"), e.getMessage());
        ModelConfig c = RunConfig.load("cpu-pkm-values-softmax").model();
        assertEquals(529, c.dFf());
        assertTrue(c.options().pkmSoftmax());
    }
}
