package sigmoe.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sigmoe.model.FfnKind;
import sigmoe.model.FfnOptions;
import sigmoe.model.ModelConfig;

/**
 * The {@code model} section: the checkpoint's config keys (formats.md §2) in HOCON. Two keys may be null:
 * {@code vocab_size} (taken from the prepared corpus, represented as 0 in the ModelConfig) and {@code d_ff}
 * (derived as n_experts · expert_size for σ-MoE, as pkm_keys² for pkm). For {@code ffn = dense} the σ-MoE keys are ignored and become 0,
 * exactly as the checkpoint stores a dense model.
 */
final class ModelSection {
    static final List<String> KEYS = List.of("vocab_size", "d_model", "n_layers", "n_heads", "head_dim", "ffn", "d_ff",
            "n_experts", "expert_size", "top_k", "layer_norm_eps", "dropout", "expert_dropout", "entropy_reg",
            "w2_init_from_expert_size", "topk_activation", "moe_score_dropout", "moe_reg_as_code", "moe_init_scale",
            "moe_norm_sel_init", "sinkhorn_iters", "pkm_keys", "pkm_heads", "pkm_activation", "pkm_value_init");

    private ModelSection() {}

    static ModelConfig read(Section s) {
        List<String> ffnIds = new ArrayList<>();
        for (FfnKind k : FfnKind.values()) ffnIds.add(k.id);
        FfnKind ffn = FfnKind.parse(s.getChoice("ffn", ffnIds));
        int vocab = s.isNull("vocab_size") ? 0 : s.getInt("vocab_size");
        int d = s.getInt("d_model");
        int layers = s.getInt("n_layers");
        int heads = s.getInt("n_heads");
        int headDim = s.getInt("head_dim");
        double eps = s.getDouble("layer_norm_eps");
        double dropout = s.getDouble("dropout");
        boolean w2Init = s.getBoolean("w2_init_from_expert_size");
        FfnOptions opts = new FfnOptions(s.isNull("topk_activation") ? 0 : s.getInt("topk_activation"),
                s.getDouble("moe_score_dropout"), s.getBoolean("moe_reg_as_code"), s.getDouble("moe_init_scale"),
                s.getBoolean("moe_norm_sel_init"), s.getInt("sinkhorn_iters"),
                s.isNull("pkm_keys") ? 0 : s.getInt("pkm_keys"), s.getInt("pkm_heads"),
                s.getChoice("pkm_activation", FfnOptions.PKM_ACTIVATIONS), s.getChoice("pkm_value_init", FfnOptions.PKM_VALUE_INITS));
        if (ffn == FfnKind.PKM) {
            if (s.isNull("pkm_keys"))
                throw new ConfigException("model.pkm_keys is not set; ffn = pkm needs n_keys, the sub-keys per half (n_keys² values; the paper's WT-S: 46 value-matched, 62 parameter-matched), e.g. model.pkm_keys=62");
            long values = (long) opts.pkmKeys() * opts.pkmKeys();
            int dff = s.isNull("d_ff") ? (int) Math.min(Integer.MAX_VALUE, values) : s.getInt("d_ff");
            return new ModelConfig(vocab, d, layers, heads, headDim, ffn, dff, 0, 0, 0, eps, dropout, 0, 0, w2Init, opts);
        }
        if (!ffn.moe) {
            if (s.isNull("d_ff"))
                throw new ConfigException("model.d_ff is not set; a dense FFN needs its hidden size (e.g. model.d_ff=2053)");
            if (ffn == FfnKind.DENSE_TOPK && s.isNull("topk_activation"))
                throw new ConfigException("model.topk_activation is not set; ffn = dense_topk needs K, the ReLU units kept per token (e.g. model.topk_activation=128)");
            return new ModelConfig(vocab, d, layers, heads, headDim, ffn, s.getInt("d_ff"), 0, 0, 0, eps, dropout, 0, 0, w2Init, opts);
        }
        int ne = s.getInt("n_experts");
        int g = s.getInt("expert_size");
        int dff = s.isNull("d_ff") ? (int) Math.min(Integer.MAX_VALUE, (long) ne * g) : s.getInt("d_ff");
        return new ModelConfig(vocab, d, layers, heads, headDim, ffn, dff, ne, g, s.getInt("top_k"), eps, dropout,
                s.getDouble("expert_dropout"), s.getDouble("entropy_reg"), w2Init, opts);
    }

    /** Constraint violations, prefixed with the section; vocab_size 0 means "from the corpus" and is allowed. */
    static List<String> problems(ModelConfig c) {
        ModelConfig check = c.vocabSize() == 0 ? c.withVocabSize(2) : c;
        List<String> out = new ArrayList<>();
        for (String p : check.problems())
            out.add("model." + p + (p.startsWith("d_ff must equal") ? " (or set model.d_ff=null to derive it)" : ""));
        return out;
    }

    static Map<String, Object> render(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab_size", c.vocabSize() == 0 ? null : c.vocabSize());
        m.put("d_model", c.dModel());
        m.put("n_layers", c.nLayers());
        m.put("n_heads", c.nHeads());
        m.put("head_dim", c.headDim());
        m.put("ffn", c.ffn().id);
        m.put("d_ff", c.dFf());
        m.put("n_experts", c.nExperts());
        m.put("expert_size", c.expertSize());
        m.put("top_k", c.topK());
        m.put("layer_norm_eps", c.layerNormEps());
        m.put("dropout", c.dropout());
        m.put("expert_dropout", c.expertDropout());
        m.put("entropy_reg", c.entropyReg());
        m.put("w2_init_from_expert_size", c.w2InitFromExpertSize());
        FfnOptions o = c.options();
        m.put("topk_activation", o.topkActivation() == 0 ? null : o.topkActivation());
        m.put("moe_score_dropout", o.scoreDropout());
        m.put("moe_reg_as_code", o.regAsCode());
        m.put("moe_init_scale", o.initScale());
        m.put("moe_norm_sel_init", o.normSelInit());
        m.put("sinkhorn_iters", o.sinkhornIters());
        m.put("pkm_keys", o.pkmKeys() == 0 ? null : o.pkmKeys());
        m.put("pkm_heads", o.pkmHeads());
        m.put("pkm_activation", o.pkmActivation());
        m.put("pkm_value_init", o.pkmValueInit());
        return m;
    }
}
