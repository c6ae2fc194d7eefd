package sigmoe.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * The driver's plan of the input: files in a deterministic order cut into {@link InputChunk}s. Chunk sizes
 * follow the requested parallelism only; every later step is defined on lines or bytes in stream order, so the
 * prepared corpus does not depend on the chunking.
 */
final class InputPlan {
    static final String[] SPLITS = {"train", "valid", "test"};
    /** Automatic chunking: at least one chunk per core, at most this many bytes per chunk. */
    static final long AUTO_CHUNK_BYTES = 64L << 20;

    final List<InputChunk> chunks;
    final long totalBytes;
    /** For a single input split by lines: true (chunks have split -1). */
    final boolean byLineIndex;

    private InputPlan(List<InputChunk> chunks, long totalBytes, boolean byLineIndex) {
        this.chunks = chunks;
        this.totalBytes = totalBytes;
        this.byLineIndex = byLineIndex;
    }

    /** Text input: whole files per split, or one input whose lines are assigned to splits by line index. */
    static InputPlan text(PrepareOptions o, Configuration conf, int parallelism) throws IOException {
        List<List<FileStatus>> sources = sources(o, conf);
        long total = 0;
        for (List<FileStatus> s : sources) total += bytes(s);
        long target = chunkBytes(total, o.partitions, parallelism);
        List<InputChunk> chunks = new ArrayList<>();
        for (int s = 0; s < sources.size(); s++) {
            int split = o.singleInput() ? -1 : s;
            for (FileStatus f : sources.get(s)) cut(chunks, f, 0, f.getLen(), split, target);
        }
        return new InputPlan(chunks, total, o.singleInput());
    }

    /** Byte input: whole files per split, or one input whose concatenated bytes are cut by byte counts. */
    static InputPlan bytes(PrepareOptions o, Configuration conf, int parallelism) throws IOException {
        List<List<FileStatus>> sources = sources(o, conf);
        List<InputChunk> chunks = new ArrayList<>();
        if (!o.singleInput()) {
            long total = 0;
            for (List<FileStatus> s : sources) total += bytes(s);
            long target = chunkBytes(total, o.partitions, parallelism);
            for (int s = 0; s < 3; s++) for (FileStatus f : sources.get(s)) cut(chunks, f, 0, f.getLen(), s, target);
            return new InputPlan(chunks, total, false);
        }
        List<FileStatus> files = sources.get(0);
        long size = bytes(files);
        long[] n = splitSizes(size, o);
        long used = n[0] + n[1] + n[2];
        long target = chunkBytes(used, o.partitions, parallelism);
        long lo = 0; // stream offset where the current split starts
        for (int s = 0; s < 3; s++) {
            long hi = lo + n[s], fileStart = 0;
            for (FileStatus f : files) {
                long a = Math.max(lo, fileStart), b = Math.min(hi, fileStart + f.getLen());
                if (a < b) cut(chunks, f, a - fileStart, b - fileStart, s, target);
                fileStart += f.getLen();
            }
            lo = hi;
        }
        return new InputPlan(chunks, used, false);
    }

    /** Bytes per split of a single byte input: --split-bytes exactly, or the ratios rounded down (test: the rest). */
    static long[] splitSizes(long size, PrepareOptions o) {
        if (o.splitBytes != null) {
            long sum = o.splitBytes[0] + o.splitBytes[1] + o.splitBytes[2];
            if (sum > size) {
                throw PrepareException.usage("--split-bytes asks for " + sum + " bytes but the input has " + size);
            }
            return o.splitBytes.clone();
        }
        double[] r = o.ratios();
        double sum = r[0] + r[1] + r[2];
        long train = (long) Math.floor(size * (r[0] / sum));
        long valid = (long) Math.floor(size * (r[1] / sum));
        long[] n = {train, valid, size - train - valid};
        for (int s = 0; s < 3; s++) {
            if (n[s] <= 0) {
                throw PrepareException.data("the input has " + size + " bytes: too few for a non-empty " + SPLITS[s]
                        + " split with --split-ratios " + r[0] + "," + r[1] + "," + r[2]);
            }
        }
        return n;
    }

    /** Line index boundaries {train end, valid end} of a single text input of {@code lines} lines. */
    static long[] lineBoundaries(long lines, PrepareOptions o) {
        double[] r = o.ratios();
        double sum = r[0] + r[1] + r[2];
        long train = (long) Math.floor(lines * (r[0] / sum));
        long valid = (long) Math.floor(lines * (r[1] / sum));
        long[] n = {train, valid, lines - train - valid};
        for (int s = 0; s < 3; s++) {
            if (n[s] <= 0) {
                throw PrepareException.data("the input has " + lines + " lines: too few for a non-empty " + SPLITS[s]
                        + " split with --split-ratios " + r[0] + "," + r[1] + "," + r[2]
                        + " (lines are split by index; give more lines or separate --train/--valid/--test files)");
            }
        }
        return new long[] {train, train + valid};
    }

    private static List<List<FileStatus>> sources(PrepareOptions o, Configuration conf) throws IOException {
        String[] uris = o.singleInput() ? new String[] {o.input} : new String[] {o.train, o.valid, o.test};
        String[] opts = o.singleInput() ? new String[] {"--input"} : new String[] {"--train", "--valid", "--test"};
        List<List<FileStatus>> out = new ArrayList<>();
        for (int i = 0; i < uris.length; i++) {
            List<FileStatus> files;
            try {
                files = HadoopFs.listInputs(uris[i], conf);
            } catch (FileNotFoundException e) {
                throw PrepareException.usage(opts[i] + " " + e.getMessage());
            }
            if (bytes(files) == 0) throw PrepareException.data(opts[i] + " " + uris[i] + ": the input is empty");
            out.add(files);
        }
        return out;
    }

    private static long bytes(List<FileStatus> files) {
        long n = 0;
        for (FileStatus f : files) n += f.getLen();
        return n;
    }

    private static long chunkBytes(long total, int partitions, int parallelism) {
        long k = partitions > 0 ? partitions : Math.max(parallelism, (total + AUTO_CHUNK_BYTES - 1) / AUTO_CHUNK_BYTES);
        return Math.max(1, (total + k - 1) / k);
    }

    /** Cuts [a, b) of a file into near-equal chunks of at most {@code target} bytes. */
    private static void cut(List<InputChunk> out, FileStatus f, long a, long b, int split, long target) {
        long len = b - a;
        if (len <= 0) return;
        long k = (len + target - 1) / target;
        for (long i = 0; i < k; i++) {
            long s = a + len * i / k, e = a + len * (i + 1) / k;
            out.add(new InputChunk(out.size(), f.getPath().toString(), s, e, split, -1));
        }
    }
}
