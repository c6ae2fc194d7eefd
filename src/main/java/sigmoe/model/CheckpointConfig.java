package sigmoe.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The checkpoint's {@code config} metadata: a {@link ModelConfig} as a JSON object with the snake_case keys of
 * formats.md §2. The architecture keys are required when reading; the training knobs default to 0 / false;
 * unknown keys are ignored (later versions may add keys).
 */
public final class CheckpointConfig {
    /** Architecture keys, in the order formats.md lists them; all required when reading. */
    public static final List<String> ARCHITECTURE_KEYS = List.of("vocab_size", "d_model", "n_layers", "n_heads", "head_dim",
            "ffn", "d_ff", "n_experts", "expert_size", "top_k", "layer_norm_eps");
    /** Training knobs stored after the architecture; optional when reading. */
    public static final List<String> KNOB_KEYS = List.of("dropout", "expert_dropout", "entropy_reg", "w2_init_from_expert_size");
    /** The baselines' knobs ({@link FfnOptions#KEYS}): written after the knobs only when not all default; optional. */
    public static final List<String> OPTION_KEYS = FfnOptions.KEYS;

    private CheckpointConfig() {}

    public static String toJson(ModelConfig c) {
        ObjectNode o = Safetensors.JSON.createObjectNode();
        o.put("vocab_size", c.vocabSize());
        o.put("d_model", c.dModel());
        o.put("n_layers", c.nLayers());
        o.put("n_heads", c.nHeads());
        o.put("head_dim", c.headDim());
        o.put("ffn", c.ffn().id);
        o.put("d_ff", c.dFf());
        o.put("n_experts", c.isMoe() ? c.nExperts() : 0);
        o.put("expert_size", c.isMoe() ? c.expertSize() : 0);
        o.put("top_k", c.isMoe() ? c.topK() : 0);
        o.put("layer_norm_eps", c.layerNormEps());
        o.put("dropout", c.dropout());
        o.put("expert_dropout", c.expertDropout());
        o.put("entropy_reg", c.entropyReg());
        o.put("w2_init_from_expert_size", c.w2InitFromExpertSize());
        FfnOptions f = c.options();
        if (!f.isDefault()) { // written only when set, so σ-MoE / dense checkpoints keep their exact metadata
            o.put("topk_activation", f.topkActivation());
            o.put("moe_score_dropout", f.scoreDropout());
            o.put("moe_reg_as_code", f.regAsCode());
            o.put("moe_init_scale", f.initScale());
            o.put("moe_norm_sel_init", f.normSelInit());
            o.put("sinkhorn_iters", f.sinkhornIters());
            o.put("pkm_keys", f.pkmKeys());
            o.put("pkm_heads", f.pkmHeads());
            o.put("pkm_activation", f.pkmActivation());
            o.put("pkm_value_init", f.pkmValueInit());
        }
        try {
            return Safetensors.JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses and validates; {@code source} (the file) prefixes every error. */
    public static ModelConfig fromJson(String json, String source) throws SafetensorsException {
        JsonNode o;
        try {
            o = Safetensors.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw SafetensorsException.of(source, null, "__metadata__.config", "a JSON object", "a syntax error: " + e.getOriginalMessage());
        }
        if (o == null || !o.isObject()) throw SafetensorsException.of(source, null, "__metadata__.config", "a JSON object", o);
        JsonNode ffnNode = required(o, "ffn", source);
        if (!ffnNode.isTextual()) throw SafetensorsException.of(source, null, "config.ffn", "a string", ffnNode);
        FfnKind ffn;
        try {
            ffn = FfnKind.parse(ffnNode.textValue());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(source + ": config.ffn: " + e.getMessage());
        }
        ModelConfig c = new ModelConfig(
                intKey(o, "vocab_size", source), intKey(o, "d_model", source), intKey(o, "n_layers", source),
                intKey(o, "n_heads", source), intKey(o, "head_dim", source), ffn, intKey(o, "d_ff", source),
                intKey(o, "n_experts", source), intKey(o, "expert_size", source), intKey(o, "top_k", source),
                doubleKey(o, "layer_norm_eps", source, null),
                doubleKey(o, "dropout", source, 0.0), doubleKey(o, "expert_dropout", source, 0.0),
                doubleKey(o, "entropy_reg", source, 0.0), boolKey(o, "w2_init_from_expert_size", source),
                options(o, source));
        List<String> problems = c.problems();
        if (!problems.isEmpty())
            throw new SafetensorsException(source + ": __metadata__.config describes an invalid model: " + String.join("; ", problems));
        return c;
    }

    /** The variant knobs; each absent key takes its {@link FfnOptions#DEFAULT} value. */
    private static FfnOptions options(JsonNode o, String source) throws SafetensorsException {
        FfnOptions d = FfnOptions.DEFAULT;
        return new FfnOptions(
                o.hasNonNull("topk_activation") ? intKey(o, "topk_activation", source) : d.topkActivation(),
                doubleKey(o, "moe_score_dropout", source, d.scoreDropout()),
                o.hasNonNull("moe_reg_as_code") ? boolKey(o, "moe_reg_as_code", source) : d.regAsCode(),
                doubleKey(o, "moe_init_scale", source, d.initScale()),
                o.hasNonNull("moe_norm_sel_init") ? boolKey(o, "moe_norm_sel_init", source) : d.normSelInit(),
                o.hasNonNull("sinkhorn_iters") ? intKey(o, "sinkhorn_iters", source) : d.sinkhornIters(),
                o.hasNonNull("pkm_keys") ? intKey(o, "pkm_keys", source) : d.pkmKeys(),
                o.hasNonNull("pkm_heads") ? intKey(o, "pkm_heads", source) : d.pkmHeads(),
                o.hasNonNull("pkm_activation") ? textKey(o, "pkm_activation", source) : d.pkmActivation(),
                o.hasNonNull("pkm_value_init") ? textKey(o, "pkm_value_init", source) : d.pkmValueInit());
    }

    private static String textKey(JsonNode o, String key, String source) throws SafetensorsException {
        JsonNode v = required(o, key, source);
        if (!v.isTextual()) throw SafetensorsException.of(source, null, "config." + key, "a string", v);
        return v.textValue();
    }

    private static JsonNode required(JsonNode o, String key, String source) throws SafetensorsException {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) throw SafetensorsException.of(source, null, "config." + key, "a value (required architecture key)", "nothing");
        return v;
    }

    private static int intKey(JsonNode o, String key, String source) throws SafetensorsException {
        JsonNode v = required(o, key, source);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw SafetensorsException.of(source, null, "config." + key, "an integer", v);
        return v.intValue();
    }

    private static double doubleKey(JsonNode o, String key, String source, Double dflt) throws SafetensorsException {
        JsonNode v = o.get(key);
        if ((v == null || v.isNull()) && dflt != null) return dflt;
        v = required(o, key, source);
        if (!v.isNumber()) throw SafetensorsException.of(source, null, "config." + key, "a number", v);
        return v.doubleValue();
    }

    private static boolean boolKey(JsonNode o, String key, String source) throws SafetensorsException {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw SafetensorsException.of(source, null, "config." + key, "true or false", v);
        return v.booleanValue();
    }
}
