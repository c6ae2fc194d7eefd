package sigmoe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import com.typesafe.config.ConfigSyntax;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sigmoe.model.ModelConfig;
import sigmoe.train.TrainConfig;

/**
 * A run's whole configuration: the model ({@code model} section, formats.md's config keys) and the training
 * ({@code train} section), read from HOCON files in {@code conf/} with the defaults of {@code sigmoe-defaults.conf}
 * underneath and {@code key=value} overrides on top. Every key's meaning, unit and default is in conf/README.md.
 *
 * <p>Loading is strict: an unknown key, a value of the wrong type or out of range is a {@link ConfigException}
 * naming the key, the value, its origin and what is valid. The resolved configuration renders back to HOCON or
 * JSON ({@link #toHocon}, {@link #toJson}), which loads to an equal RunConfig; runs save it next to their outputs.
 *
 * @param description free text describing the run (optional)
 * @param model       the model; {@code vocabSize() == 0} means "take it from the prepared corpus" ({@link #modelFor})
 * @param train       everything else
 */
public record RunConfig(String description, ModelConfig model, TrainConfig train) {
    static final List<String> TOP_KEYS = List.of("description", "model", "train");

    /** Loads files (paths, or names in conf/) in order, then applies overrides such as {@code model.top_k=2}. */
    public static RunConfig load(List<String> files, List<String> overrides) {
        List<Config> parsed = new ArrayList<>();
        for (String f : files) parsed.add(RunConfigLoader.file(RunConfigLoader.locate(f)));
        return from(RunConfigLoader.merge(parsed, RunConfigLoader.overrides(overrides)));
    }

    public static RunConfig load(String file, String... overrides) { return load(List.of(file), List.of(overrides)); }

    /** Parses HOCON (or JSON) text over the defaults; includes resolve against the working directory. */
    public static RunConfig parse(String text, List<String> overrides) {
        Config c;
        try {
            c = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setOriginDescription("configuration text"));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot parse the configuration: " + e.getMessage());
        }
        return from(RunConfigLoader.merge(List.of(c), RunConfigLoader.overrides(overrides)));
    }

    /** Reads and validates a merged, resolved Config. */
    static RunConfig from(Config c) {
        ConfigObject root = c.root();
        Map<String, List<String>> sections = Map.of("model", ModelSection.KEYS, "train", TrainSection.KEYS);
        for (String k : root.keySet()) if (!TOP_KEYS.contains(k)) throw Section.unknownKey(null, k, root.get(k), TOP_KEYS, sections);
        ConfigValue d = root.get("description");
        String description = "";
        if (d != null && d.valueType() != ConfigValueType.NULL) {
            if (d.valueType() != ConfigValueType.STRING)
                throw new ConfigException("description = " + Section.describe(d) + " (" + Section.origin(d) + ") is not a string.");
            description = (String) d.unwrapped();
        }
        ModelConfig model = ModelSection.read(Section.of("model", root, ModelSection.KEYS, sections));
        if (root.get("train") instanceof ConfigObject t && t.containsKey("tree_depth"))
            throw new ConfigException("train.tree_depth (" + Section.origin(t.get("tree_depth")) + ") was removed: the slices' "
                    + "losses and expert counts now travel with their states to the driver's round-state exchange, not "
                    + "through treeAggregate; delete the key (train.rounds_per_job sets how many rounds one Spark job spans)");
        TrainConfig train = TrainSection.read(Section.of("train", root, TrainSection.KEYS, sections));
        RunConfig rc = new RunConfig(description, model, train);
        List<String> problems = rc.problems();
        if (!problems.isEmpty()) throw new ConfigException("invalid configuration: " + String.join("; ", problems) + ".");
        return rc;
    }

    /** Every violated constraint, keys prefixed by their section; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>(ModelSection.problems(model));
        p.addAll(TrainSection.problems(train));
        return p;
    }

    /** True when {@code model.vocab_size} is null: the corpus decides. */
    public boolean vocabFromData() { return model.vocabSize() == 0; }

    /**
     * The model for a corpus of {@code corpusVocab} ids: the configured one, or with the corpus's vocabulary when
     * {@code vocab_size} is null. A configured size that differs from the corpus is an error.
     */
    public ModelConfig modelFor(int corpusVocab) {
        if (vocabFromData()) return model.withVocabSize(corpusVocab);
        if (model.vocabSize() != corpusVocab)
            throw new ConfigException("model.vocab_size = " + model.vocabSize() + " but the corpus " + train.data() + " has "
                    + corpusVocab + " token ids; set model.vocab_size=" + corpusVocab + " or model.vocab_size=null (take it from the corpus).");
        return model;
    }

    /**
     * The resolved configuration as HOCON, every key (defaults included) in the documented order; loading it gives an
     * equal RunConfig. Strings are JSON-quoted, so {@code //} and {@code ${...}} inside them stay literal.
     */
    public String toHocon() {
        StringBuilder b = new StringBuilder("# sigmoe run configuration (resolved)\n");
        b.append("description = ").append(quote(description)).append("\n");
        section(b, "model", ModelSection.render(model));
        section(b, "train", TrainSection.render(train));
        return b.toString();
    }

    private static void section(StringBuilder b, String name, Map<String, Object> values) {
        b.append(name).append(" {\n");
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object v = e.getValue();
            b.append("  ").append(e.getKey()).append(" = ").append(v instanceof String ? quote((String) v) : String.valueOf(v)).append("\n");
        }
        b.append("}\n");
    }

    private static String quote(String s) { return ConfigValueFactory.fromAnyRef(s).render(ConfigRenderOptions.concise()); }

    /** The resolved configuration as formatted JSON, keys in the documented order. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("description", description);
        m.put("model", ModelSection.render(model));
        m.put("train", TrainSection.render(train));
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For a saved JSON rendering: parse with JSON syntax. */
    public static RunConfig parseJson(String json) {
        Config c;
        try {
            c = ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON).setOriginDescription("JSON configuration"));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot parse the JSON configuration: " + e.getMessage());
        }
        return from(RunConfigLoader.merge(List.of(c), ConfigFactory.empty()));
    }

    /** The defaults file's location, for messages and documentation. */
    public static String defaultsResource() { return RunConfigLoader.DEFAULTS; }
}
