package sigmoe.model;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;
import sigmoe.nn.Param;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

class CheckpointTest {
    @TempDir Path dir;

    static final ModelConfig MOE = ModelConfig.sigmaMoe(37, 12, 2, 3, 4, 4, 8, 2, 0.1, 0.05, 0.001);
    static final ModelConfig DENSE = ModelConfig.dense(37, 12, 2, 3, 4, 33, 0.2);

    /** A store holding formats.md's tensors for {@code c}, filled with seeded Gaussians. */
    static ParamStore store(ModelConfig c, DataType dtype, long seed) {
        ParamStore s = new ParamStore(dtype);
        for (Map.Entry<String, long[]> e : ParamCount.tensorShapes(c).entrySet()) s.add(e.getKey(), e.getValue());
        s.allocate();
        Rng rng = new Rng(seed);
        INDArray values = s.values();
        Mem m = Mem.of(values);
        for (int i = 0; i < m.length; i++) m.set(i, rng.nextGaussian());
        Reference.reachabilityFence(values);
        return s;
    }

    private void roundTrip(ModelConfig c, DataType dtype) throws IOException {
        ParamStore a = store(c, dtype, 7);
        String uri = dir.resolve(c.ffn().id + "-" + dtype + ".safetensors").toString();
        Checkpoint.save(a, c, 1234, Map.of("run", "test", "tokens_seen", "99"), uri);
        Checkpoint ck = Checkpoint.load(uri);
        assertEquals(c, ck.config());
        assertEquals(1234, ck.step());
        assertEquals("test", ck.metadata().get("run"));
        assertEquals("99", ck.metadata().get("tokens_seen"));
        assertEquals(Checkpoint.FORMAT, ck.metadata().get("format"));
        assertEquals(ParamCount.tensorShapes(c).keySet(), new java.util.LinkedHashSet<>(ck.names()));
        ParamStore b = store(c, dtype, 8);
        ck.loadInto(b);
        INDArray av = a.values(), bv = b.values();
        Mem va = Mem.of(av), vb = Mem.of(bv);
        for (int i = 0; i < va.length; i++) assertEquals((float) va.get(i), vb.get(i), 0.0, "element " + i);
        Reference.reachabilityFence(av);
        Reference.reachabilityFence(bv);
        for (Param p : a.params()) assertArrayEquals(p.shape, ck.shape(p.name));
    }

    @Test
    void roundTripsFloatAndDoubleStores() throws IOException {
        roundTrip(MOE, DataType.FLOAT);
        roundTrip(DENSE, DataType.FLOAT);
        roundTrip(MOE, DataType.DOUBLE);
        roundTrip(DENSE.withEntropyReg(0), DataType.DOUBLE);
    }

    @Test
    void configJsonHasExactlyTheFormatsKeys() throws IOException {
        String json = CheckpointConfig.toJson(DENSE);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        List<String> expected = new java.util.ArrayList<>(CheckpointConfig.ARCHITECTURE_KEYS);
        expected.addAll(CheckpointConfig.KNOB_KEYS);
        assertEquals(expected, keys);
        assertEquals(0, node.get("top_k").intValue(), "top_k is 0 for dense");
        assertEquals("dense", node.get("ffn").textValue());
    }

    /** A checkpoint written by another program: other tensor order, F16 and F64 tensors, extra metadata and config keys. */
    @Test
    void readsAFileWrittenByAnotherProgram() throws IOException {
        ModelConfig c = ModelConfig.sigmaMoe(5, 4, 1, 2, 2, 2, 2, 1, 0, 0, 0);
        HandMade h = new HandMade();
        StringBuilder header = new StringBuilder("{");
        List<String> names = new java.util.ArrayList<>(ParamCount.tensorShapes(c).keySet());
        java.util.Collections.reverse(names);
        int k = 0;
        Map<String, float[]> expected = new java.util.HashMap<>();
        for (String n : names) {
            long[] shape = ParamCount.tensorShapes(c).get(n);
            int len = (int) SafetensorsTensor.numel(n, shape);
            float[] v = new float[len];
            for (int i = 0; i < len; i++) v[i] = k * 100 + i;
            expected.put(n, v);
            String dtype, off;
            if (n.equals("output.bias")) {           // F64 from a numpy float64 array
                double[] d = new double[len];
                for (int i = 0; i < len; i++) d[i] = v[i];
                dtype = "F64"; off = h.f64(d);
            } else if (n.equals("embedding.weight")) { // F16: small integers are exact in half precision
                short[] s = new short[len];
                for (int i = 0; i < len; i++) s[i] = floatToHalfExact(v[i]);
                dtype = "F16"; off = h.raw16(s);
            } else {
                dtype = "F32"; off = h.f32(v);
            }
            header.append(header.length() > 1 ? "," : "").append("\"").append(n).append("\":{\"data_offsets\":").append(off)
                    .append(",\"shape\":").append(java.util.Arrays.toString(shape).replace(" ", "")).append(",\"dtype\":\"").append(dtype).append("\"}");
            k++;
        }
        String config = "{\\\"top_k\\\":1,\\\"ffn\\\":\\\"sigma_moe\\\",\\\"vocab_size\\\":5,\\\"d_model\\\":4,\\\"n_layers\\\":1,"
                + "\\\"n_heads\\\":2,\\\"head_dim\\\":2,\\\"d_ff\\\":4,\\\"n_experts\\\":2,\\\"expert_size\\\":2,"
                + "\\\"layer_norm_eps\\\":1e-5,\\\"future_knob\\\":[1,2],\\\"activation\\\":\\\"relu\\\"}";
        header.append(",\"__metadata__\":{\"producer\":\"torch\",\"step\":\"100000\",\"format\":\"sgmoe-ckpt-1\",\"config\":\"")
                .append(config).append("\"}}");
        int pad = (8 - header.length() % 8) % 8 + 8;     // HF pads to 8; add 8 more spaces to prove padding is free
        Path p = HandMade.write(dir, "torch.safetensors", HandMade.file(header.toString(), pad, h.data()));
        Checkpoint ck = Checkpoint.load(p.toUri().toString());
        assertEquals(c, ck.config());
        assertEquals(100000, ck.step());
        assertEquals("torch", ck.metadata().get("producer"));
        ParamStore s = store(c, DataType.FLOAT, 1);
        ck.loadInto(s);
        for (Param prm : s.params()) {
            INDArray v = prm.value();
            Mem m = Mem.of(v);
            float[] e = expected.get(prm.name);
            for (int i = 0; i < e.length; i++) assertEquals(e[i], m.get(i), 0.0, prm.name + "[" + i + "]");
            Reference.reachabilityFence(v);
        }
    }

    private static short floatToHalfExact(float f) {
        if (f == 0) return 0;
        int bits = Float.floatToIntBits(f);
        int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mant = (bits >>> 13) & 0x3FF;
        assertTrue(exp > 0 && exp < 31 && (bits & 0x1FFF) == 0, "exactly representable");
        return (short) (((bits >>> 16) & 0x8000) | (exp << 10) | mant);
    }

    @Test
    void loadIntoReportsEveryMismatchAtOnce() throws IOException {
        ParamStore a = store(MOE, DataType.FLOAT, 1);
        String uri = dir.resolve("moe.safetensors").toString();
        Checkpoint.save(a, MOE, 1, Map.of(), uri);
        Checkpoint ck = Checkpoint.load(uri);
        ParamStore other = new ParamStore(DataType.FLOAT);
        for (Map.Entry<String, long[]> e : ParamCount.tensorShapes(MOE).entrySet()) {
            String n = e.getKey();
            if (n.equals("layers.1.ffn.keys") || n.equals("output.bias")) continue;           // extra in the file
            if (n.equals("embedding.weight")) { other.add(n, 38, 12); continue; }               // misshapen
            other.add(n, e.getValue());
        }
        other.add("layers.0.ffn.new_thing", 3);                                                // missing from file
        other.add("layers.2.norm1.weight", 12);
        other.allocate();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ck.loadInto(other));
        String m = e.getMessage();
        for (String s : new String[] {uri, "missing from the file (2)", "layers.0.ffn.new_thing", "layers.2.norm1.weight",
                "extra in the file (2)", "layers.1.ffn.keys [4, 12, 8]", "output.bias [37]", "wrong shape (1)",
                "embedding.weight (model [38, 12], file [37, 12])"})
            assertTrue(m.contains(s), "'" + s + "' in: " + m);
        INDArray ov = other.values();
        assertEquals(0.0, Mem.of(ov).get(0), "nothing copied on mismatch");
        Reference.reachabilityFence(ov);
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        String plain = dir.resolve("plain.safetensors").toString();
        Safetensors.write(plain, List.of(SafetensorsTensor.ofFloats("x", new long[] {1}, new float[] {1})), Map.of("step", "1"));
        String m = assertThrows(SafetensorsException.class, () -> Checkpoint.load(plain)).getMessage();
        assertTrue(m.contains("__metadata__.format") && m.contains("sgmoe-ckpt-1") && m.contains("nothing"), m);

        String badStep = dir.resolve("step.safetensors").toString();
        Safetensors.write(badStep, List.of(), Map.of("format", "sgmoe-ckpt-1", "step", "ten", "config", CheckpointConfig.toJson(MOE)));
        m = assertThrows(SafetensorsException.class, () -> Checkpoint.load(badStep)).getMessage();
        assertTrue(m.contains("__metadata__.step") && m.contains("\"ten\""), m);

        String noKey = dir.resolve("nokey.safetensors").toString();
        String cfg = CheckpointConfig.toJson(MOE).replace("\"head_dim\":4,", "");
        Safetensors.write(noKey, List.of(), Map.of("format", "sgmoe-ckpt-1", "step", "3", "config", cfg));
        m = assertThrows(SafetensorsException.class, () -> Checkpoint.load(noKey)).getMessage();
        assertTrue(m.contains("config.head_dim") && m.contains("required"), m);

        String invalid = dir.resolve("invalid.safetensors").toString();
        String cfg2 = CheckpointConfig.toJson(MOE).replace("\"top_k\":2", "\"top_k\":9");
        Safetensors.write(invalid, List.of(), Map.of("format", "sgmoe-ckpt-1", "step", "3", "config", cfg2));
        m = assertThrows(SafetensorsException.class, () -> Checkpoint.load(invalid)).getMessage();
        assertTrue(m.contains("top_k must be in [1, n_experts=4] (got 9)"), m);
    }
}
