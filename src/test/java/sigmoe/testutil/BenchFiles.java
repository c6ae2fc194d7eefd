package sigmoe.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The benchmarks' result files: written under a temporary name and renamed, so a killed run leaves no half table. */
public final class BenchFiles {
    private BenchFiles() {}

    /** Writes {@code text} (UTF-8) to {@code out}, creating its folder, via {@code out}.tmp and an atomic rename. */
    public static void writeAtomically(Path out, CharSequence text) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + out.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, out.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
