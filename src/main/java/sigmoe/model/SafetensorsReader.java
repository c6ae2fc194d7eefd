package sigmoe.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads a safetensors file, treating it as untrusted data: the header length is bounded and checked against the file
 * size, the header must be one JSON object with unique names, every tensor's dtype, shape and offsets are checked,
 * and the tensors must tile the data section exactly (contiguous from 0, no gaps, no overlap, nothing after the
 * last). Tensors are read on demand with positioned reads, converted to float (F32, F16, BF16, F64) or long
 * (integer types).
 */
public final class SafetensorsReader implements Closeable {
    /** Receives element {@code i} of a tensor being read. */
    @FunctionalInterface
    public interface FloatSink { void accept(long i, float v); }

    private final String file;
    private final FSDataInputStream in;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, SafetensorsEntry> entries;

    private SafetensorsReader(String file, FSDataInputStream in, long dataStart, Map<String, String> metadata,
                              Map<String, SafetensorsEntry> entries) {
        this.file = file;
        this.in = in;
        this.dataStart = dataStart;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = Collections.unmodifiableMap(entries);
    }

    public static SafetensorsReader open(String uri) throws IOException { return open(uri, new Configuration()); }

    public static SafetensorsReader open(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = Safetensors.fileSystem(path, conf);
        if (!fs.exists(path)) throw new java.io.FileNotFoundException(uri + ": no such file");
        long size = fs.getFileStatus(path).getLen();
        FSDataInputStream in = fs.open(path);
        try {
            if (size < 8) throw SafetensorsException.of(uri, null, "header length", "an 8-byte little-endian u64 prefix", "a file of " + size + " bytes");
            byte[] lenBytes = new byte[8];
            in.readFully(0, lenBytes);
            long n = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > Safetensors.MAX_HEADER_BYTES)
                throw SafetensorsException.of(uri, null, "header length", "at most " + Safetensors.MAX_HEADER_BYTES + " bytes", Long.toUnsignedString(n));
            if (n > size - 8)
                throw SafetensorsException.of(uri, null, "header length", "at most " + (size - 8) + " bytes (file size " + size + " - 8)", n);
            byte[] header = new byte[(int) n];
            in.readFully(8, header);
            long dataLen = size - 8 - n;
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, SafetensorsEntry> entries = parseHeader(uri, header, dataLen, meta);
            return new SafetensorsReader(uri, in, 8 + n, meta, entries);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    public String file() { return file; }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() { return metadata; }

    /** The tensors in data order (ascending offsets). */
    public List<SafetensorsEntry> entries() { return new ArrayList<>(entries.values()); }

    public boolean has(String name) { return entries.containsKey(name); }

    public SafetensorsEntry entry(String name) throws SafetensorsException {
        SafetensorsEntry e = entries.get(name);
        if (e == null) throw SafetensorsException.of(file, name, null, "a tensor of that name", "none (" + entries.size() + " tensors in the file)");
        return e;
    }

    /** The tensor's elements converted to float; float dtypes only. */
    public float[] readFloats(String name) throws IOException {
        SafetensorsEntry e = entry(name);
        float[] out = new float[checkedLength(e)];
        readFloats(name, (i, v) -> out[(int) i] = v);
        return out;
    }

    /** Streams the tensor's elements, converted to float, into {@code sink} in row-major order. */
    public void readFloats(String name, FloatSink sink) throws IOException {
        SafetensorsEntry e = entry(name);
        if (!e.dtype().isFloat())
            throw SafetensorsException.of(file, name, "dtype", "a float type (F32, F16, BF16, F64)", e.dtype());
        long i = 0;
        for (ByteBuffer b : chunks(e)) {
            while (b.hasRemaining()) sink.accept(i++, e.dtype().readFloat(b));
        }
    }

    /** The tensor's elements as longs; integer dtypes only. */
    public long[] readLongs(String name) throws IOException {
        SafetensorsEntry e = entry(name);
        if (!e.dtype().isInteger())
            throw SafetensorsException.of(file, name, "dtype", "an integer type (I64, I32, U8, ...)", e.dtype());
        long[] out = new long[checkedLength(e)];
        int i = 0;
        for (ByteBuffer b : chunks(e)) {
            while (b.hasRemaining()) out[i++] = e.dtype().readLong(b);
        }
        return out;
    }

    private int checkedLength(SafetensorsEntry e) throws SafetensorsException {
        if (e.numel() > Integer.MAX_VALUE - 8)
            throw SafetensorsException.of(file, e.name(), "shape", "at most " + (Integer.MAX_VALUE - 8) + " elements to read into one array", e.numel());
        return (int) e.numel();
    }

    /** The tensor's bytes as little-endian buffers of whole elements, read lazily in 1 MiB pieces. */
    private Iterable<ByteBuffer> chunks(SafetensorsEntry e) {
        final int piece = (1 << 20) / 8 * 8;
        return () -> new java.util.Iterator<>() {
            long pos = e.begin();
            final byte[] buf = new byte[(int) Math.min(piece, Math.max(e.end() - e.begin(), 0))];

            @Override public boolean hasNext() { return pos < e.end(); }

            @Override public ByteBuffer next() {
                int len = (int) Math.min(buf.length, e.end() - pos);
                try {
                    in.readFully(dataStart + pos, buf, 0, len);
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(file + ": reading tensor '" + e.name() + "' at byte " + (dataStart + pos), x);
                }
                pos += len;
                return ByteBuffer.wrap(buf, 0, len).order(ByteOrder.LITTLE_ENDIAN);
            }
        };
    }

    @Override
    public void close() throws IOException { in.close(); }

    // ---- header validation ----

    private static Map<String, SafetensorsEntry> parseHeader(String file, byte[] header, long dataLen, Map<String, String> meta)
            throws IOException {
        int first = 0;
        if (header.length == 0 || header[first] != '{')
            throw SafetensorsException.of(file, null, "header", "a JSON object starting with '{'",
                    header.length == 0 ? "an empty header" : "'" + new String(header, 0, Math.min(20, header.length), StandardCharsets.UTF_8) + "'");
        List<SafetensorsEntry> list = new ArrayList<>();
        Set<String> names = new HashSet<>();
        try (JsonParser p = Safetensors.JSON.getFactory().createParser(header)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw SafetensorsException.of(file, null, "header", "a JSON object", p.currentToken());
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.getCurrentName();
                if (!names.add(name)) throw SafetensorsException.of(file, name, null, "each name once in the header", "a duplicate");
                p.nextToken();
                JsonNode v = p.readValueAsTree();
                if ("__metadata__".equals(name)) readMetadata(file, v, meta);
                else list.add(readEntry(file, name, v, dataLen));
            }
            if (t != JsonToken.END_OBJECT) throw SafetensorsException.of(file, null, "header", "the end of the JSON object", t);
            JsonToken after = p.nextToken();
            if (after != null) throw SafetensorsException.of(file, null, "header", "only spaces after the JSON object", after);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw SafetensorsException.of(file, null, "header", "valid UTF-8 JSON", "a syntax error: " + e.getOriginalMessage());
        }
        list.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        Map<String, SafetensorsEntry> byName = new LinkedHashMap<>();
        long expect = 0;
        String prev = null;
        for (SafetensorsEntry e : list) {
            if (e.begin() != expect)
                throw SafetensorsException.of(file, e.name(), "data_offsets",
                        "begin = " + expect + (prev == null ? " (the first tensor starts the data section)" : " (where '" + prev + "' ends; tensors must be contiguous)"),
                        e.begin() + (e.begin() < expect ? " (overlap)" : " (gap)"));
            expect = e.end();
            prev = e.name();
            byName.put(e.name(), e);
        }
        if (expect != dataLen)
            throw SafetensorsException.of(file, prev, null, "tensors covering the whole data section of " + dataLen + " bytes",
                    "tensors ending at byte " + expect);
        return byName;
    }

    private static void readMetadata(String file, JsonNode v, Map<String, String> meta) throws SafetensorsException {
        if (v.isNull()) return;
        if (!v.isObject()) throw SafetensorsException.of(file, null, "__metadata__", "an object of strings", v.getNodeType());
        for (var it = v.fields(); it.hasNext(); ) {
            var f = it.next();
            if (!f.getValue().isTextual())
                throw SafetensorsException.of(file, null, "__metadata__." + f.getKey(), "a string", f.getValue().getNodeType() + " " + f.getValue());
            meta.put(f.getKey(), f.getValue().textValue());
        }
    }

    private static SafetensorsEntry readEntry(String file, String name, JsonNode v, long dataLen) throws SafetensorsException {
        if (!v.isObject()) throw SafetensorsException.of(file, name, null, "an object {dtype, shape, data_offsets}", v.getNodeType());
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) throw SafetensorsException.of(file, name, "dtype", "a string", dt == null ? "nothing" : dt);
        SafetensorsDtype dtype = SafetensorsDtype.byName(dt.textValue());
        if (dtype == null) throw SafetensorsException.of(file, name, "dtype", "one of " + java.util.Arrays.toString(SafetensorsDtype.values()), dt.textValue());
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) throw SafetensorsException.of(file, name, "shape", "an array of sizes", sh == null ? "nothing" : sh);
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode s = sh.get(i);
            if (!s.isIntegralNumber() || !s.canConvertToLong() || s.longValue() < 0)
                throw SafetensorsException.of(file, name, "shape[" + i + "]", "a non-negative integer", s);
            shape[i] = s.longValue();
            numel = multiplyOrMax(numel, shape[i]);
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2)
            throw SafetensorsException.of(file, name, "data_offsets", "an array [begin, end]", off == null ? "nothing" : off);
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode o = off.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0)
                throw SafetensorsException.of(file, name, "data_offsets[" + i + "]", "a non-negative integer", o);
            be[i] = o.longValue();
        }
        if (be[1] < be[0]) throw SafetensorsException.of(file, name, "data_offsets", "begin <= end", "[" + be[0] + ", " + be[1] + "]");
        if (be[1] > dataLen)
            throw SafetensorsException.of(file, name, "data_offsets", "end <= " + dataLen + " (the data section's size)", be[1]);
        long bytes = multiplyOrMax(numel, dtype.size);
        if (be[1] - be[0] != bytes)
            throw SafetensorsException.of(file, name, "data_offsets",
                    "end - begin = " + (bytes == Long.MAX_VALUE ? "(overflow)" : bytes) + " bytes (" + dtype + " x " + java.util.Arrays.toString(shape) + ")",
                    (be[1] - be[0]) + " bytes");
        return new SafetensorsEntry(name, dtype, shape, be[0], be[1]);
    }

    private static long multiplyOrMax(long a, long b) {
        try { return Math.multiplyExact(a, b); } catch (ArithmeticException e) { return Long.MAX_VALUE; }
    }
}
