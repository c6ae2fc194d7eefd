package sigmoe.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The Hugging Face safetensors container on any Hadoop file system (local paths, {@code file:}, {@code hdfs:}, ...):
 * <pre>
 *   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | raw little-endian tensor bytes
 * </pre>
 * The header maps each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative
 * to the data section) plus an optional {@code "__metadata__"} map of strings. Files are written under a
 * temporary name in the same directory and renamed when complete, so the final name never holds a partial file.
 * Reading is {@link SafetensorsReader}.
 */
public final class Safetensors {
    /** Largest header accepted when reading (the reference implementation's limit is 100 MB too). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {}

    /** Writes the tensors, in the given order, with the metadata (may be empty) to {@code uri}. */
    public static void write(String uri, List<SafetensorsTensor> tensors, Map<String, String> metadata) throws IOException {
        write(uri, tensors, metadata, new Configuration());
    }

    public static void write(String uri, List<SafetensorsTensor> tensors, Map<String, String> metadata, Configuration conf)
            throws IOException {
        byte[] header = header(tensors, metadata);
        FileSystem fs = fileSystem(new Path(uri), conf);
        Path dst = fs.makeQualified(new Path(uri));
        Path tmp = new Path(dst.getParent(), "." + dst.getName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (OutputStream out = new BufferedOutputStream(fs.create(tmp, true), 1 << 20)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                out.write(len.array());
                out.write(header);
                writeData(out, tensors);
            }
            replace(fs, tmp, dst);
            done = true;
        } finally {
            if (!done) fs.delete(tmp, false);
        }
    }

    /** Opens and validates a file; the caller closes the reader. */
    public static SafetensorsReader open(String uri) throws IOException { return SafetensorsReader.open(uri, new Configuration()); }

    /** The JSON header, padded with spaces so that the data section starts at a multiple of 8 (as HF writes it). */
    static byte[] header(List<SafetensorsTensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getValue() == null) throw new IllegalArgumentException("metadata '" + e.getKey() + "' is null; values must be strings");
                meta.put(e.getKey(), e.getValue());
            }
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (SafetensorsTensor t : tensors) {
            if (!seen.add(t.name)) throw new IllegalArgumentException("duplicate tensor name " + t.name);
            ObjectNode info = root.putObject(t.name);
            info.put("dtype", t.dtype.name());
            ArrayNode shape = info.putArray("shape");
            for (long s : t.shape()) shape.add(s);
            long end = Math.addExact(offset, t.byteSize());
            info.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(OutputStream out, List<SafetensorsTensor> tensors) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (SafetensorsTensor t : tensors) {
            boolean isFloat = t.dtype == SafetensorsDtype.F32;
            for (long i = 0; i < t.numel; i++) {
                if (buf.remaining() < 8) { out.write(buf.array(), 0, buf.position()); buf.clear(); }
                if (isFloat) buf.putFloat(t.floatAt(i)); else buf.putLong(t.longAt(i));
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    /** The file system of {@code p}; the local one without Hadoop's .crc side files (plain files, as other tools expect). */
    static FileSystem fileSystem(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        if (fs instanceof LocalFileSystem) return ((LocalFileSystem) fs).getRaw();
        return fs;
    }

    /**
     * Moves a completed temporary file onto its final name. Hadoop's rename does not overwrite, so an existing file is
     * deleted first: the final name then holds the old complete file, nothing, or the new complete file.
     */
    static void replace(FileSystem fs, Path tmp, Path dst) throws IOException {
        if (fs.exists(dst) && !fs.delete(dst, false)) throw new IOException("cannot replace " + dst + ": delete failed");
        if (!fs.rename(tmp, dst)) throw new IOException("cannot rename " + tmp + " to " + dst);
    }
}
