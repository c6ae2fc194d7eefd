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

/**
 * A generic file of named float and long arrays plus scalar values, in the same safetensors container as the model
 * (formats.md §2: "optimizer state and trainer state go in a separate file next to it"). The trainer keeps Adam
 * moments, stream cursors, RNG states and XL memory here; scalars (step, learning rate, ...) go in
 * {@code __metadata__} as strings, next to {@code "format": "sgmoe-state-1"}.
 *
 * <p>Build one with the {@code put}/{@code set} methods and {@link #write}; {@link #read} returns a filled instance.
 * Float arrays are stored as F32 (doubles converted), long arrays as I64.
 */
public final class CheckpointState {
    public static final String FORMAT = "sgmoe-state-1";

    private final Map<String, SafetensorsTensor> pending = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, float[]> floats = new LinkedHashMap<>();
    private final Map<String, long[]> longs = new LinkedHashMap<>();
    private final Map<String, String> scalars = new LinkedHashMap<>();
    private String file = "(in memory)";

    public CheckpointState putFloats(String name, float[] data) { return putFloats(name, new long[] {data.length}, data); }

    public CheckpointState putFloats(String name, long[] shape, float[] data) {
        add(SafetensorsTensor.ofFloats(name, shape, data));
        floats.put(name, data);
        return this;
    }

    /** Stored as F32. */
    public CheckpointState putDoubles(String name, long[] shape, double[] data) {
        add(SafetensorsTensor.ofDoubles(name, shape, data));
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        floats.put(name, f);
        return this;
    }

    public CheckpointState putLongs(String name, long[] data) { return putLongs(name, new long[] {data.length}, data); }

    public CheckpointState putLongs(String name, long[] shape, long[] data) {
        add(SafetensorsTensor.ofLongs(name, shape, data));
        longs.put(name, data);
        return this;
    }

    /** A contiguous c-order FLOAT/DOUBLE array, read when the file is written (no copy is kept). */
    public CheckpointState putArray(String name, INDArray a) {
        add(SafetensorsTensor.ofArray(name, a.shape(), a));
        return this;
    }

    public CheckpointState set(String key, String value) {
        if ("format".equals(key)) throw new IllegalArgumentException("'format' is reserved in a state file");
        if (value == null) throw new IllegalArgumentException("state value '" + key + "' is null");
        scalars.put(key, value);
        return this;
    }

    public CheckpointState setLong(String key, long v) { return set(key, Long.toString(v)); }

    /** Double.toString round-trips exactly. */
    public CheckpointState setDouble(String key, double v) { return set(key, Double.toString(v)); }

    private void add(SafetensorsTensor t) {
        if (shapes.containsKey(t.name)) throw new IllegalArgumentException("state tensor " + t.name + " added twice");
        pending.put(t.name, t);
        shapes.put(t.name, t.shape());
    }

    public void write(String uri) throws IOException { write(uri, new Configuration()); }

    public void write(String uri, Configuration conf) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.putAll(scalars);
        Safetensors.write(uri, new ArrayList<>(pending.values()), meta, conf);
    }

    public static CheckpointState read(String uri) throws IOException { return read(uri, new Configuration()); }

    public static CheckpointState read(String uri, Configuration conf) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(uri, conf)) {
            String format = r.metadata().get("format");
            if (!FORMAT.equals(format))
                throw SafetensorsException.of(uri, null, "__metadata__.format", "\"" + FORMAT + "\"", format == null ? "nothing" : "\"" + format + "\"");
            CheckpointState s = new CheckpointState();
            s.file = uri;
            for (Map.Entry<String, String> e : r.metadata().entrySet()) if (!"format".equals(e.getKey())) s.scalars.put(e.getKey(), e.getValue());
            for (SafetensorsEntry e : r.entries()) {
                s.shapes.put(e.name(), e.shape());
                if (e.dtype().isFloat()) s.floats.put(e.name(), r.readFloats(e.name()));
                else s.longs.put(e.name(), r.readLongs(e.name()));
            }
            return s;
        }
    }

    public List<String> names() { return new ArrayList<>(shapes.keySet()); }

    public boolean has(String name) { return shapes.containsKey(name); }

    public long[] shape(String name) throws SafetensorsException { return known(name).clone(); }

    public float[] floats(String name) throws SafetensorsException {
        known(name);
        float[] f = floats.get(name);
        if (f == null) throw SafetensorsException.of(file, name, "dtype", "a float tensor", longs.containsKey(name) ? "an integer tensor" : "a tensor not yet written");
        return f;
    }

    public long[] longs(String name) throws SafetensorsException {
        known(name);
        long[] l = longs.get(name);
        if (l == null) throw SafetensorsException.of(file, name, "dtype", "an integer tensor", "a float tensor");
        return l;
    }

    /** Copies a float tensor into a contiguous c-order array of the same shape. */
    public void readInto(String name, INDArray dst) throws SafetensorsException {
        long[] s = known(name);
        if (!Arrays.equals(s, dst.shape()))
            throw SafetensorsException.of(file, name, "shape", Arrays.toString(dst.shape()) + " (the destination's)", Arrays.toString(s));
        float[] f = floats(name);
        Mem m = Mem.of(dst);
        for (int i = 0; i < f.length; i++) m.set(i, f[i]);
        Reference.reachabilityFence(dst);
    }

    public Map<String, String> scalars() { return Collections.unmodifiableMap(scalars); }

    public String get(String key) throws SafetensorsException {
        String v = scalars.get(key);
        if (v == null) throw SafetensorsException.of(file, null, "__metadata__." + key, "a value", "nothing");
        return v;
    }

    public long getLong(String key) throws SafetensorsException {
        String v = get(key);
        try { return Long.parseLong(v); } catch (NumberFormatException e) {
            throw SafetensorsException.of(file, null, "__metadata__." + key, "an integer", "\"" + v + "\"");
        }
    }

    public double getDouble(String key) throws SafetensorsException {
        String v = get(key);
        try { return Double.parseDouble(v); } catch (NumberFormatException e) {
            throw SafetensorsException.of(file, null, "__metadata__." + key, "a number", "\"" + v + "\"");
        }
    }

    private long[] known(String name) throws SafetensorsException {
        long[] s = shapes.get(name);
        if (s == null) throw SafetensorsException.of(file, name, null, "a tensor of that name", "none; present: " + shapes.keySet());
        return s;
    }
}
