package sigmoe.model;

import java.io.IOException;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;
import sigmoe.nn.Param;
import sigmoe.nn.ParamStore;

/**
 * A model checkpoint (formats.md §2): one safetensors file holding every parameter under its formats.md name as F32,
 * with {@code __metadata__} {@code format = sgmoe-ckpt-1}, {@code step}, and {@code config} (the model's JSON,
 * {@link CheckpointConfig}). Any extra metadata given to {@link #save} is kept as strings. Optimiser and trainer
 * state live in a separate file ({@link CheckpointState}) so that a model file stays a model file.
 *
 * <p>{@link #load} reads everything into memory (float arrays); {@link #loadInto} then copies into a store after
 * checking that names and shapes match exactly.
 */
public final class Checkpoint {
    public static final String FORMAT = "sgmoe-ckpt-1";

    private final String file;
    private final ModelConfig config;
    private final long step;
    private final Map<String, String> metadata;
    private final Map<String, long[]> shapes;
    private final Map<String, float[]> tensors;

    private Checkpoint(String file, ModelConfig config, long step, Map<String, String> metadata,
                       Map<String, long[]> shapes, Map<String, float[]> tensors) {
        this.file = file;
        this.config = config;
        this.step = step;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.shapes = Collections.unmodifiableMap(shapes);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Writes every parameter of {@code store} (FLOAT or DOUBLE; stored as F32) to {@code uri}, atomically. */
    public static void save(ParamStore store, ModelConfig config, long step, Map<String, String> extraMetadata, String uri)
            throws IOException {
        save(store, config, step, extraMetadata, uri, new Configuration());
    }

    public static void save(ParamStore store, ModelConfig config, long step, Map<String, String> extraMetadata, String uri,
                            Configuration conf) throws IOException {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0 (got " + step + ")");
        Map<String, String> meta = new LinkedHashMap<>();
        if (extraMetadata != null) meta.putAll(extraMetadata);
        meta.put("format", FORMAT);
        meta.put("step", Long.toString(step));
        meta.put("config", CheckpointConfig.toJson(config));
        List<SafetensorsTensor> list = new ArrayList<>();
        for (Param p : store.params()) list.add(SafetensorsTensor.ofArray(p.name, p.shape, p.value()));
        Safetensors.write(uri, list, meta, conf);
    }

    public static Checkpoint load(String uri) throws IOException { return load(uri, new Configuration()); }

    /** Reads and validates a checkpoint (any float dtype is converted to float). */
    public static Checkpoint load(String uri, Configuration conf) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(uri, conf)) {
            Map<String, String> meta = r.metadata();
            String format = meta.get("format");
            if (!FORMAT.equals(format))
                throw SafetensorsException.of(uri, null, "__metadata__.format", "\"" + FORMAT + "\"", format == null ? "nothing" : "\"" + format + "\"");
            String stepText = meta.get("step");
            long step;
            try {
                step = Long.parseLong(stepText == null ? "" : stepText.trim());
            } catch (NumberFormatException e) {
                throw SafetensorsException.of(uri, null, "__metadata__.step", "a non-negative integer", stepText == null ? "nothing" : "\"" + stepText + "\"");
            }
            if (step < 0) throw SafetensorsException.of(uri, null, "__metadata__.step", "a non-negative integer", step);
            String cfg = meta.get("config");
            if (cfg == null) throw SafetensorsException.of(uri, null, "__metadata__.config", "the model configuration as a JSON string", "nothing");
            ModelConfig config = CheckpointConfig.fromJson(cfg, uri);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> tensors = new LinkedHashMap<>();
            for (SafetensorsEntry e : r.entries()) {
                shapes.put(e.name(), e.shape());
                tensors.put(e.name(), r.readFloats(e.name()));
            }
            return new Checkpoint(uri, config, step, new LinkedHashMap<>(meta), shapes, tensors);
        }
    }

    public String file() { return file; }

    public ModelConfig config() { return config; }

    public long step() { return step; }

    /** All {@code __metadata__} entries (format, step, config and any extra keys). */
    public Map<String, String> metadata() { return metadata; }

    /** Tensor names in file order. */
    public List<String> names() { return new ArrayList<>(tensors.keySet()); }

    public long[] shape(String name) { return shapes.get(name).clone(); }

    /** The tensor's values (row-major); null when absent. */
    public float[] tensor(String name) { return tensors.get(name); }

    /**
     * Copies every tensor into the store's parameter of the same name. Fails, changing nothing, unless the names and
     * shapes match exactly; the message lists ALL missing, extra and misshapen tensors.
     */
    public void loadInto(ParamStore store) throws SafetensorsException {
        List<String> missing = new ArrayList<>();
        List<String> misshapen = new ArrayList<>();
        for (Param p : store.params()) {
            long[] s = shapes.get(p.name);
            if (s == null) missing.add(p.name + " " + Arrays.toString(p.shape));
            else if (!Arrays.equals(s, p.shape))
                misshapen.add(p.name + " (model " + Arrays.toString(p.shape) + ", file " + Arrays.toString(s) + ")");
        }
        List<String> extra = new ArrayList<>();
        for (String n : shapes.keySet()) if (!store.has(n)) extra.add(n + " " + Arrays.toString(shapes.get(n)));
        if (!missing.isEmpty() || !extra.isEmpty() || !misshapen.isEmpty()) {
            StringBuilder m = new StringBuilder(file).append(": the checkpoint's tensors do not match the model (")
                    .append(store.params().size()).append(" parameters in the model, ").append(shapes.size()).append(" tensors in the file)");
            if (!missing.isEmpty()) m.append("; missing from the file (").append(missing.size()).append("): ").append(String.join(", ", missing));
            if (!extra.isEmpty()) m.append("; extra in the file (").append(extra.size()).append("): ").append(String.join(", ", extra));
            if (!misshapen.isEmpty()) m.append("; wrong shape (").append(misshapen.size()).append("): ").append(String.join(", ", misshapen));
            m.append(". Was the checkpoint written for a different configuration?");
            throw new SafetensorsException(m.toString());
        }
        for (Param p : store.params()) {
            float[] v = tensors.get(p.name);
            INDArray a = p.value();
            Mem m = Mem.of(a);
            for (int i = 0; i < v.length; i++) m.set(i, v[i]);
            Reference.reachabilityFence(a);
        }
    }
}
