package sigmoe.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing files and pruning checkpoints never leave a missing file or a partial checkpoint under a final name. */
class RunDirectoryTest {
    @TempDir Path dir;

    private static List<String> names(Path p) throws Exception {
        try (Stream<Path> s = Files.list(p)) { return s.map(x -> x.getFileName().toString()).sorted().toList(); }
    }

    @Test
    void writeAtomicallyReplacesTheOldFileInOneRename() throws Exception {
        RunDirectory run = new RunDirectory(dir.toString());
        run.writeAtomically("metrics.jsonl", "a\n".getBytes(StandardCharsets.UTF_8));
        run.writeAtomically("metrics.jsonl", "a\nb\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("a\nb\n", run.readString("metrics.jsonl"));
        // no temporary, moved-aside or checksum side files are left next to it
        assertEquals(List.of("checkpoints", "metrics.jsonl"), names(dir).stream().filter(n -> !n.startsWith(".") || n.endsWith(".tmp") || n.startsWith(".old")).toList());
    }

    @Test
    void pruneKeepsTheNewestAndIgnoresAndCleansHalfDeletedLeftovers() throws Exception {
        RunDirectory run = new RunDirectory(dir.toString());
        for (long step : new long[] {100, 200, 300}) {
            Path tmp = Path.of(run.beginCheckpoint(step).replace("file:", ""));
            Files.writeString(tmp.resolve("model.safetensors"), "s" + step);
            run.commitCheckpoint(step);
        }
        // what a kill during an earlier prune's recursive delete leaves behind
        Path leftover = dir.resolve("checkpoints/.trash-step-00000050");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("state-slice-0.safetensors"), "partial");
        assertEquals(List.of(100L, 200L, 300L), run.checkpointSteps(), "a trash directory is not a checkpoint");
        run.pruneCheckpoints(2);
        assertEquals(List.of(200L, 300L), run.checkpointSteps());
        assertEquals(List.of("step-00000200", "step-00000300"), names(dir.resolve("checkpoints")));
    }

    @Test
    void recommittingAStepReplacesItWhole() throws Exception {
        RunDirectory run = new RunDirectory(dir.toString());
        Path tmp = Path.of(run.beginCheckpoint(7).replace("file:", ""));
        Files.writeString(tmp.resolve("model.safetensors"), "first");
        Files.writeString(tmp.resolve("state-slice-1.safetensors"), "first");
        run.commitCheckpoint(7);
        tmp = Path.of(run.beginCheckpoint(7).replace("file:", ""));
        Files.writeString(tmp.resolve("model.safetensors"), "second");
        run.commitCheckpoint(7);
        Path ck = dir.resolve("checkpoints/step-00000007");
        assertEquals(List.of("model.safetensors"), names(ck).stream().filter(n -> !n.startsWith(".")).toList());
        assertEquals("second", Files.readString(ck.resolve("model.safetensors")));
        assertEquals(List.of("step-00000007"), names(dir.resolve("checkpoints")));
    }
}
