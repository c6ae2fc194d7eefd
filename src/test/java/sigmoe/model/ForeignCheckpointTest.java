package sigmoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.data.Tokens;
import sigmoe.eval.Evaluator;
import sigmoe.nn.Rng;

/**
 * "A checkpoint written by another program that follows formats.md must load and evaluate to the same loss it
 * computes": this test is that other program. It writes a safetensors file byte by byte and computes the loss of
 * formats.md §3 with naive loops over plain arrays (per stream, per query, per key), with the evaluation protocol of
 * formats.md §3; sigmoe loads the file and its Evaluator must agree.
 */
class ForeignCheckpointTest {
    static final int V = 13, D = 8, L = 2, H = 2, HS = 3, NE = 4, G = 5, K = 2, DFF = 7, T = 4, MSEG = 2, B = 2;
    @TempDir Path tmp;
    final Map<String, long[]> shapes = new LinkedHashMap<>();
    final Map<String, float[]> w = new LinkedHashMap<>();

    void tensor(String name, Rng r, double std, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (std * r.nextGaussian());
        shapes.put(name, shape);
        w.put(name, a);
    }

    void makeWeights(boolean moe) {
        Rng r = new Rng(42);
        tensor("output.bias", r, 0.1, V); // deliberately not in formats.md's order
        tensor("embedding.weight", r, 1.0, V, D);
        for (int l = 0; l < L; l++) {
            String p = "layers." + l + ".";
            tensor(p + "norm1.weight", r, 0.2, D);
            tensor(p + "norm1.bias", r, 0.2, D);
            for (String m : new String[] {"q", "k", "v", "r"}) tensor(p + "attn." + m + ".weight", r, 0.4, H * HS, D);
            tensor(p + "attn.o.weight", r, 0.4, D, H * HS);
            tensor(p + "attn.content_bias", r, 0.3, H, HS);
            tensor(p + "attn.position_bias", r, 0.3, H, HS);
            tensor(p + "attn.scale", r, 0.1, 1);
            w.get(p + "attn.scale")[0] += 0.6f;
            tensor(p + "norm2.weight", r, 0.2, D);
            tensor(p + "norm2.bias", r, 0.2, D);
            if (moe) {
                tensor(p + "ffn.keys", r, 0.4, NE, D, G);
                tensor(p + "ffn.values", r, 0.4, NE, G, D);
                tensor(p + "ffn.expert_sel", r, 0.5, NE, D);
            } else {
                tensor(p + "ffn.w1.weight", r, 0.4, DFF, D);
                tensor(p + "ffn.w1.bias", r, 0.1, DFF);
                tensor(p + "ffn.w2.weight", r, 0.4, D, DFF);
                tensor(p + "ffn.w2.bias", r, 0.1, D);
            }
        }
        tensor("final_norm.weight", r, 0.2, D);
        tensor("final_norm.bias", r, 0.2, D);
        tensor("output.weight", r, 0.5, V, D);
        for (String n : w.keySet()) if (n.endsWith("norm1.weight") || n.endsWith("norm2.weight") || n.equals("final_norm.weight"))
            for (int i = 0; i < D; i++) w.get(n)[i] += 1;
    }

    Path writeSafetensors(boolean moe) throws Exception {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"sgmoe-ckpt-1\",\"step\":\"77\",\"writer\":\"a test\",\"config\":");
        String cfg = String.format("{\"vocab_size\":%d,\"d_model\":%d,\"n_layers\":%d,\"n_heads\":%d,\"head_dim\":%d,"
                + "\"ffn\":\"%s\",\"d_ff\":%d,\"n_experts\":%d,\"expert_size\":%d,\"top_k\":%d,\"layer_norm_eps\":1e-5,\"unknown_knob\":3}",
                V, D, L, H, HS, moe ? "sigma_moe" : "dense", moe ? NE * G : DFF, moe ? NE : 0, moe ? G : 0, moe ? K : 0);
        h.append('"').append(cfg.replace("\"", "\\\"")).append("\"}");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, float[]> e : w.entrySet()) {
            long begin = data.size();
            ByteBuffer b = ByteBuffer.allocate(4 * e.getValue().length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : e.getValue()) b.putFloat(f);
            data.write(b.array());
            StringBuilder shape = new StringBuilder();
            for (long s : shapes.get(e.getKey())) shape.append(shape.length() == 0 ? "" : ",").append(s);
            h.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[").append(shape)
                    .append("],\"data_offsets\":[").append(begin).append(',').append(data.size()).append("]}");
        }
        h.append('}');
        while (h.length() % 8 != 0) h.append(' ');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        Path f = tmp.resolve(moe ? "moe.safetensors" : "dense.safetensors");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(len.array());
        all.write(header);
        all.write(data.toByteArray());
        Files.write(f, all.toByteArray());
        return f;
    }

    // ---- the reference model, straight from formats.md §3 ----

    double at(String name, int... idx) {
        long[] s = shapes.get(name);
        int flat = 0;
        for (int i = 0; i < idx.length; i++) flat = (int) (flat * s[i] + idx[i]);
        return w.get(name)[flat];
    }

    double[] layerNorm(String p, double[] x) {
        double mu = 0, var = 0;
        for (double v : x) mu += v / D;
        for (double v : x) var += (v - mu) * (v - mu) / D;
        double[] y = new double[D];
        for (int i = 0; i < D; i++) y[i] = (x[i] - mu) / Math.sqrt(var + 1e-5) * at(p + ".weight", i) + at(p + ".bias", i);
        return y;
    }

    double[] linear(String name, double[] x, int out, int in) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) y[o] += at(name, o, i) * x[i];
        return y;
    }

    double[] attention(String p, List<double[]> src, int m, int i) {
        double[] a = src.get(m + i), out = new double[D], cat = new double[H * HS];
        double[] q = linear(p + ".q.weight", a, H * HS, D);
        int n = src.size();
        for (int h = 0; h < H; h++) {
            double[] score = new double[m + i + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= m + i; j++) {
                double[] k = linear(p + ".k.weight", src.get(j), H * HS, D);
                int rel = j - (m + i);
                double[] pe = new double[D];
                for (int c = 0; c < D; c++) {
                    double f = rel / Math.pow(10000, (2 * (c / 2)) / (double) D);
                    pe[c] = c % 2 == 0 ? Math.sin(f) : Math.cos(f);
                }
                double[] r = linear(p + ".r.weight", pe, H * HS, D);
                double s = 0;
                for (int c = 0; c < HS; c++) {
                    int col = h * HS + c;
                    s += (q[col] + at(p + ".content_bias", h, c)) * k[col] + (q[col] + at(p + ".position_bias", h, c)) * r[col];
                }
                score[j] = at(p + ".scale", 0) * s;
                max = Math.max(max, score[j]);
            }
            double z = 0;
            for (int j = 0; j <= m + i; j++) { score[j] = Math.exp(score[j] - max); z += score[j]; }
            for (int j = 0; j <= m + i; j++) {
                double[] v = linear(p + ".v.weight", src.get(j), H * HS, D);
                for (int c = 0; c < HS; c++) cat[h * HS + c] += score[j] / z * v[h * HS + c];
            }
        }
        assert n >= m + i;
        return linear(p + ".o.weight", cat, D, H * HS);
    }

    double[] ffn(String p, double[] x, boolean moe) {
        double[] y = new double[D];
        if (!moe) {
            double[] hid = linear(p + ".w1.weight", x, DFF, D);
            for (int f = 0; f < DFF; f++) hid[f] = Math.max(0, hid[f] + at(p + ".w1.bias", f));
            double[] o = linear(p + ".w2.weight", hid, D, DFF);
            for (int c = 0; c < D; c++) y[c] = o[c] + at(p + ".w2.bias", c);
            return y;
        }
        double[] s = linear(p + ".expert_sel", x, NE, D);
        for (int e = 0; e < NE; e++) s[e] = 1 / (1 + Math.exp(-s[e]));
        boolean[] chosen = new boolean[NE];
        for (int k = 0; k < K; k++) {
            int best = -1;
            for (int e = 0; e < NE; e++) if (!chosen[e] && (best < 0 || s[e] > s[best])) best = e;
            chosen[best] = true;
        }
        for (int e = 0; e < NE; e++) {
            if (!chosen[e]) continue;
            for (int g = 0; g < G; g++) {
                double u = 0;
                for (int c = 0; c < D; c++) u += x[c] * at(p + ".keys", e, c, g);
                u = s[e] * Math.max(0, u);
                for (int c = 0; c < D; c++) y[c] += u * at(p + ".values", e, g, c);
            }
        }
        return y;
    }

    /** formats.md §3 evaluation: n = (N−1) div T segments, B streams of n div B, memory of MSEG segments. */
    double referenceLoss(int[] ids, boolean moe) {
        int n = (ids.length - 1) / T, per = n / B;
        double sum = 0;
        long count = 0;
        for (int b = 0; b < B; b++) {
            List<List<double[]>> mem = new ArrayList<>();
            for (int l = 0; l < L; l++) mem.add(new ArrayList<>());
            for (int sgi = 0; sgi < per; sgi++) {
                int start = (b * per + sgi) * T;
                List<double[]> h = new ArrayList<>();
                for (int t = 0; t < T; t++) {
                    double[] e = new double[D];
                    for (int c = 0; c < D; c++) e[c] = at("embedding.weight", ids[start + t], c);
                    h.add(e);
                }
                for (int l = 0; l < L; l++) {
                    String p = "layers." + l;
                    int m = mem.get(l).size();
                    List<double[]> src = new ArrayList<>();
                    for (double[] x : mem.get(l)) src.add(layerNorm(p + ".norm1", x));
                    for (double[] x : h) src.add(layerNorm(p + ".norm1", x));
                    List<double[]> next = new ArrayList<>();
                    for (int i = 0; i < T; i++) {
                        double[] a = attention(p + ".attn", src, m, i), x = h.get(i).clone();
                        for (int c = 0; c < D; c++) x[c] += a[c];
                        double[] f = ffn(p + ".ffn", layerNorm(p + ".norm2", x), moe);
                        for (int c = 0; c < D; c++) x[c] += f[c];
                        next.add(x);
                    }
                    mem.get(l).addAll(h);
                    while (mem.get(l).size() > MSEG * T) mem.get(l).remove(0);
                    h = next;
                }
                for (int t = 0; t < T; t++) {
                    double[] x = layerNorm("final_norm", h.get(t));
                    double[] logits = linear("output.weight", x, V, D);
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int v = 0; v < V; v++) { logits[v] += at("output.bias", v); max = Math.max(max, logits[v]); }
                    for (int v = 0; v < V; v++) z += Math.exp(logits[v] - max);
                    sum += Math.log(z) + max - logits[ids[start + t + 1]];
                    count++;
                }
            }
        }
        return sum / count;
    }

    void check(boolean moe) throws Exception {
        makeWeights(moe);
        Path f = writeSafetensors(moe);
        Rng r = new Rng(5);
        int[] ids = new int[B * 3 * T + 3]; // 3 segments per stream, remainder dropped
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(V);
        Checkpoint ck = Checkpoint.load(f.toString());
        assertEquals(77, ck.step());
        TransformerXL model = new TransformerXL(ck.config(), DataType.DOUBLE);
        ck.loadInto(model.params);
        Evaluator.Result ours = Evaluator.evaluate(model, Tokens.of(ids), T, MSEG, B, 0, B, 0);
        assertEquals(B * 3 * T, ours.tokens());
        assertEquals(referenceLoss(ids, moe), ours.loss(), 1e-10);
    }

    @Test
    void aDenseCheckpointFromAnotherWriterEvaluatesToTheReferenceLoss() throws Exception { check(false); }

    @Test
    void aSigmaMoeCheckpointFromAnotherWriterEvaluatesToTheReferenceLoss() throws Exception { check(true); }
}
