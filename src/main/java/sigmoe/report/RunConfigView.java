package sigmoe.report;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the report shows of a run's config.conf: the description and the key values a reader compares runs by.
 * Read leniently with Typesafe Config rather than through RunConfig's strict loader: a report must still render for
 * a run written by an older or newer version whose keys differ; a key that is absent or null is simply not shown.
 *
 * @param present     false when the run directory has no config.conf (the page says so)
 * @param description the run's free-text description ("" when none)
 * @param keyValues   (key, rendered value) pairs in a fixed, documented order
 * @param text        config.conf as written, shown verbatim in a collapsed section
 */
public record RunConfigView(boolean present, String description, List<KeyValue> keyValues, String text) {
    /** Model keys first, then training; MoE-only keys are skipped for dense runs and d_ff for σ-MoE runs. */
    static final List<String> KEYS = List.of("model.ffn", "model.vocab_size", "model.d_model", "model.n_layers",
            "model.n_heads", "model.head_dim", "model.d_ff", "model.n_experts", "model.expert_size", "model.top_k",
            "model.dropout", "model.expert_dropout", "model.entropy_reg", "train.data", "train.steps", "train.batch_size",
            "train.segment_length", "train.mem_segments", "train.lr", "train.lr_schedule", "train.warmup",
            "train.grad_clip", "train.seed", "train.workers", "train.averaging_frequency", "train.entropy_reg_mode",
            "train.master");
    static final Set<String> MOE_ONLY = Set.of("model.n_experts", "model.expert_size", "model.top_k",
            "model.expert_dropout", "model.entropy_reg", "train.entropy_reg_mode");
    static final String SIGMA_MOE = "sigma_moe";

    /** Any mixture-of-experts FFN kind (σ-MoE and the paper's MoE baselines); unknown names count as dense. */
    static boolean isMoe(String ffn) {
        for (sigmoe.model.FfnKind k : sigmoe.model.FfnKind.values()) if (k.id.equals(ffn)) return k.moe;
        return false;
    }

    public record KeyValue(String key, String value) {}

    public static RunConfigView absent() {
        return new RunConfigView(false, "", List.of(), "");
    }

    /**
     * @param text config.conf's contents
     * @param file its name or URI, for messages
     */
    public static RunConfigView parse(String text, String file) {
        Config c;
        try {
            // the trainer writes config.conf resolved (every key spelled out, no includes): parse the text alone
            c = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription(file)).resolve();
        } catch (ConfigException e) {
            throw new ReportException(file + " is not valid HOCON: " + e.getMessage()
                    + " (the trainer writes it; was it edited by hand?)", e);
        }
        String description = stringAt(c, "description");
        boolean moe = isMoe(stringAt(c, "model.ffn"));
        List<KeyValue> kv = new ArrayList<>();
        for (String k : KEYS) {
            if (moe ? k.equals("model.d_ff") : MOE_ONLY.contains(k)) continue;
            String v = stringAt(c, k);
            if (!v.isEmpty()) kv.add(new KeyValue(k, v));
        }
        return new RunConfigView(true, description, List.copyOf(kv), text);
    }

    /** The value at a path when it is a string, number or boolean; "" when absent, null or of another shape. */
    private static String stringAt(Config c, String path) {
        try {
            if (!c.hasPath(path)) return "";
            ConfigValue v = c.getValue(path);
            return v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST ? "" : String.valueOf(v.unwrapped());
        } catch (ConfigException e) {
            return ""; // e.g. "model = 3": a shape this report does not know is not worth failing over
        }
    }
}
