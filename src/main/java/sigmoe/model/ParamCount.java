package sigmoe.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter counts and FFN FLOPs from a {@link ModelConfig}, by formula (paper.md §3.8, §6 "parameter-equal").
 *
 * <p>Two counts exist because the paper's code has one parameter per layer that our model does not: next to the
 * learnable attention {@code scale} it registers an unused {@code s_bias} scalar. {@link #paperCode} reproduces the
 * paper's numbers (WT-S 47,260,136 / 47,260,248 with V = 8000; WT-B 262,479,968 / 262,461,284 with V = 8000;
 * E8 41,234,721 / 41,240,805 with V = 205, the enwik8 byte vocabulary); {@link #model} counts the tensors of
 * formats.md §2, i.e. what a {@code ParamStore} of our model holds: {@code paperCode - n_layers}.
 */
public final class ParamCount {
    private ParamCount() {}

    /** The paper's code convention (includes the unused {@code s_bias} of every layer). */
    public static long paperCode(ModelConfig c) { return model(c) + c.nLayers(); }

    /** Our model: exactly the tensors of formats.md §2 ({@link #tensorShapes}). */
    public static long model(ModelConfig c) {
        long d = c.dModel();
        long v = c.vocabSize();
        long embedding = v * d;
        long output = d * v + v;
        long finalNorm = 2 * d;
        return embedding + output + finalNorm + (long) c.nLayers() * perLayer(c);
    }

    /** One block: two LayerNorms, the attention and the FFN. */
    public static long perLayer(ModelConfig c) { return 4L * c.dModel() + attentionPerLayer(c) + ffnPerLayer(c); }

    /** q, k, v, r ([H·hs, d]) and o ([d, H·hs]), the biases u and v ([H, hs]) and the scale (our model: no s_bias). */
    public static long attentionPerLayer(ModelConfig c) {
        long inner = c.attnDim();
        return 5L * c.dModel() * inner + 2 * inner + 1;
    }

    /**
     * Dense: W1, b1, W2, b2. σ-MoE: keys, values (N_E·G·d each) and the selection W3 (N_E·d); no biases.
     * PKM: two sub-key sets [heads, n_keys, d/2] and the values [n_keys², d]; no biases ([M] EmbeddingBag, keys).
     */
    public static long ffnPerLayer(ModelConfig c) {
        long d = c.dModel();
        if (c.isMoe()) return 2L * c.nExperts() * c.expertSize() * d + (long) c.nExperts() * d;
        if (c.ffn() == FfnKind.PKM) {
            long nk = c.options().pkmKeys();
            return 2L * c.options().pkmHeads() * nk * (d / 2) + nk * nk * d;
        }
        return 2L * d * c.dFf() + c.dFf() + d;
    }

    /** Every tensor of formats.md §2 for this configuration, in a stable order (layers in order). */
    public static Map<String, long[]> tensorShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dModel(), v = c.vocabSize(), inner = c.attnDim();
        m.put("embedding.weight", new long[] {v, d});
        for (int i = 0; i < c.nLayers(); i++) {
            String p = "layers." + i + ".";
            m.put(p + "norm1.weight", new long[] {d});
            m.put(p + "norm1.bias", new long[] {d});
            for (String w : new String[] {"q", "k", "v", "r"}) m.put(p + "attn." + w + ".weight", new long[] {inner, d});
            m.put(p + "attn.o.weight", new long[] {d, inner});
            m.put(p + "attn.content_bias", new long[] {c.nHeads(), c.headDim()});
            m.put(p + "attn.position_bias", new long[] {c.nHeads(), c.headDim()});
            m.put(p + "attn.scale", new long[] {1});
            m.put(p + "norm2.weight", new long[] {d});
            m.put(p + "norm2.bias", new long[] {d});
            if (c.isMoe()) {
                m.put(p + "ffn.keys", new long[] {c.nExperts(), d, c.expertSize()});
                m.put(p + "ffn.values", new long[] {c.nExperts(), c.expertSize(), d});
                m.put(p + "ffn.expert_sel", new long[] {c.nExperts(), d});
            } else if (c.ffn() == FfnKind.PKM) {
                long nk = c.options().pkmKeys(), heads = c.options().pkmHeads();
                m.put(p + "ffn.keys_a", new long[] {heads, nk, d / 2});
                m.put(p + "ffn.keys_b", new long[] {heads, nk, d / 2});
                m.put(p + "ffn.values", new long[] {nk * nk, d});
            } else {
                m.put(p + "ffn.w1.weight", new long[] {c.dFf(), d});
                m.put(p + "ffn.w1.bias", new long[] {c.dFf()});
                m.put(p + "ffn.w2.weight", new long[] {d, c.dFf()});
                m.put(p + "ffn.w2.bias", new long[] {d});
            }
        }
        m.put("final_norm.weight", new long[] {d});
        m.put("final_norm.bias", new long[] {d});
        m.put("output.weight", new long[] {v, d});
        m.put("output.bias", new long[] {v});
        return m;
    }

    /**
     * Forward FLOPs of one token through one FFN block (2 per multiply-add, biases and ReLU ignored).
     * Dense: {@code 4·d·d_ff}; dense_topk {@code 2·d·d_ff + 2·d·K} (W1 full, W2 on the K kept units). σ-MoE: the K selected experts {@code 4·d·G·K} plus the selection {@code 2·d·N_E}.
     * PKM (dense product-key path, head-summed keys): sub-key scores {@code 2·d·n_keys} plus the read of all
     * n_keys² values {@code 2·d·n_keys²}.
     */
    public static long ffnFlopsPerToken(ModelConfig c) {
        long d = c.dModel();
        if (c.isMoe()) return 4L * d * c.expertSize() * c.topK() + 2L * d * c.nExperts();
        if (c.ffn() == FfnKind.PKM) {
            long nk = c.options().pkmKeys();
            return 2L * d * nk + 2L * d * nk * nk;
        }
        if (c.ffn() == FfnKind.DENSE_TOPK) return 2L * d * c.dFf() + 2L * d * c.options().topkActivation();
        return 4L * d * c.dFf();
    }

    /**
     * The paper's "% FLOPs" of the FFN relative to a dense FFN of width N_E·G (Tab. 3/7): {@code K/N_E} for σ-MoE,
     * excluding the selection projection; 1 for dense; (d_ff + K)/(2·d_ff) for dense_topk (only W2 is sparse);
     * for pkm the FLOPs over a dense FFN of width d_ff = n_keys², (n_keys + n_keys²)/(2·n_keys²): the sub-keys replace
     * W1, every value is still read (the paper's runs used no top-k, paper.md pitfall 14).
     */
    public static double ffnFlopFraction(ModelConfig c) {
        if (c.ffn() == FfnKind.PKM) return ffnFlopsPerToken(c) / (4.0 * c.dModel() * c.dFf());
        if (c.ffn() == FfnKind.DENSE_TOPK) return (c.dFf() + (double) c.options().topkActivation()) / (2.0 * c.dFf());
        return c.isMoe() ? (double) c.topK() / c.nExperts() : 1.0;
    }

    /** A one-line summary for logs and reports. */
    public static String describe(ModelConfig c) {
        return String.format("%,d parameters (%,d in the paper's code convention); FFN %,d per layer, %,d FLOPs/token/layer (%.1f%% of dense)",
                model(c), paperCode(c), ffnPerLayer(c), ffnFlopsPerToken(c), 100 * ffnFlopFraction(c));
    }
}
