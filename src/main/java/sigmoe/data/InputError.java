package sigmoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * A data problem an executor found at a place in the input; returned as a value (not thrown) so that the driver
 * can pick the first one in stream order and report it with its line number.
 *
 * @param chunk   index of the chunk that found it (stream order)
 * @param offset  byte offset in {@code file} of the offending line
 * @param problem what is wrong and how to fix it
 */
record InputError(int chunk, String file, long offset, String problem) implements Serializable {
    static InputError first(InputError a, InputError b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.chunk < b.chunk || (a.chunk == b.chunk && a.offset <= b.offset) ? a : b;
    }

    /** The user-facing exception: file, 1-based line number (counted here, on the error path only), problem. */
    PrepareException toException(Configuration conf) {
        String line;
        try {
            line = "line " + lineNumber(conf);
        } catch (IOException e) {
            line = "the line";
        }
        return PrepareException.data(file + ": " + line + " (byte offset " + offset + "): " + problem);
    }

    private long lineNumber(Configuration conf) throws IOException {
        Path p = new Path(file);
        long lines = 1, left = offset;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = HadoopFs.of(p, conf).open(p)) {
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) break;
                for (int i = 0; i < n; i++) if (buf[i] == '\n') lines++;
                left -= n;
            }
        }
        return lines;
    }
}
