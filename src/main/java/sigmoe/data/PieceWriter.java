package sigmoe.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.IntConsumer;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes token ids as a raw little-endian payload (uint16 or uint32, as in a shard) to a file that is opened on
 * the first id: the prepare job's intermediate "piece" of one split from one input chunk.
 */
final class PieceWriter implements IntConsumer, Closeable {
    private final FileSystem fs;
    private final Path path;
    private final int bytesPerToken;
    private final byte[] buf = new byte[1 << 16];
    private int n;
    private OutputStream out;
    private long tokens;

    PieceWriter(FileSystem fs, Path path, int bytesPerToken) {
        this.fs = fs;
        this.path = path;
        this.bytesPerToken = bytesPerToken;
    }

    @Override
    public void accept(int id) {
        if (n + 4 > buf.length) flush();
        buf[n] = (byte) id;
        buf[n + 1] = (byte) (id >>> 8);
        if (bytesPerToken == 4) {
            buf[n + 2] = (byte) (id >>> 16);
            buf[n + 3] = (byte) (id >>> 24);
        }
        n += bytesPerToken;
        tokens++;
    }

    long tokens() {
        return tokens;
    }

    private void flush() {
        try {
            if (out == null) out = fs.create(path, false);
            out.write(buf, 0, n);
            n = 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(path + ": write failed", e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (n > 0) flush();
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        } finally {
            if (out != null) out.close();
        }
    }
}
