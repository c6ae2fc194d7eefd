package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.model.Checkpoint;
import sigmoe.model.CheckpointState;
import sigmoe.testutil.TestCorpora;

/**
 * Driver loss: {@code sigmoe train} runs in a child JVM (local Spark, two slices) and is killed with SIGKILL
 * (destroyForcibly) after its first checkpoint and before its end. Every checkpoint under a final name is complete,
 * and {@code train --resume} finishes the run with exactly the parameters of an uninterrupted run.
 */
class DriverLossTest {
    static final int STEPS = 16, INTERVAL = 4, H = 4;

    @TempDir Path tmp;

    @Test
    void aKilledDriverResumesToTheUninterruptedParametersBitForBit() throws Exception {
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 40_000, 4_000, 4_000);
        Path killed = tmp.resolve("killed"), uninterrupted = tmp.resolve("uninterrupted");
        String[] lines = {"steps = " + STEPS, "checkpoint_interval = " + INTERVAL, "averaging_frequency = " + H};
        Path conf = Fixtures.confFile(tmp.resolve("run.conf"), corpus, killed, lines);
        Path confRef = Fixtures.confFile(tmp.resolve("ref.conf"), corpus, uninterrupted, lines);

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        for (String f : System.getProperty("sigmoe.jvm.flags", "").split("\\s+")) if (!f.isBlank()) cmd.add(f);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "sigmoe.cli.Main", "train", conf.toString(), "--master", "local[2]"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("child.out").toFile())
                .redirectError(tmp.resolve("child.err").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        long t0 = System.nanoTime();
        Process child = pb.start();
        Path first = Fixtures.checkpoint(killed, INTERVAL);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!Files.isDirectory(first) && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(child.isAlive(), "the child trains until killed; its stderr: " + Files.readString(tmp.resolve("child.err")));
            assertTrue(Files.isDirectory(first), "a first checkpoint within the deadline");
        } finally {
            child.destroyForcibly();
        }
        child.waitFor();
        double killedAfter = (System.nanoTime() - t0) / 1e9;
        assertFalse(Files.exists(Fixtures.checkpoint(killed, STEPS)), "killed before the end");

        // What the kill left: checkpoints under final names are complete and readable; temporaries only under '.' names.
        List<Long> steps = new ArrayList<>();
        try (var s = Files.list(killed.resolve("checkpoints"))) {
            for (Path d : (Iterable<Path>) s::iterator) {
                String n = d.getFileName().toString();
                if (n.startsWith(".")) continue;
                assertTrue(n.matches("step-\\d{8}"), "only step directories under final names: " + n);
                long step = Long.parseLong(n.substring(5));
                steps.add(step);
                assertEquals(step, Checkpoint.load(d.resolve("model.safetensors").toString()).step());
                assertEquals(step, CheckpointState.read(d.resolve("state-shared.safetensors").toString()).getLong("step"));
                for (int w = 0; w < 2; w++)
                    assertEquals(step, CheckpointState.read(d.resolve("state-slice-" + w + ".safetensors").toString()).getLong("step"));
                try (var f = Files.list(d)) {
                    assertEquals(4, f.filter(p -> !p.getFileName().toString().endsWith(".crc")).count(), "no stray file in " + d);
                }
            }
        }
        for (JsonNode l : Fixtures.metrics(killed)) assertTrue(l.has("step"), "metrics.jsonl holds whole lines only");
        long resumeFrom = steps.stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("driver killed %.1f s after start; complete checkpoints %s; leftovers %s%n", killedAfter, steps,
                Fixtures.temporaries(killed));

        Fixtures.Run resumed = Fixtures.cli("train", conf.toString(), "--resume");
        assertEquals(0, resumed.rc(), resumed.err());
        assertTrue(resumed.out().contains("resumed from " + Fixtures.checkpoint(killed, resumeFrom)), resumed.out());
        Fixtures.Run reference = Fixtures.cli("train", confRef.toString());
        assertEquals(0, reference.rc(), reference.err());
        System.out.printf("resume %.1f s, uninterrupted run %.1f s%n", resumed.seconds(), reference.seconds());

        assertArrayEquals(Files.readAllBytes(Fixtures.checkpoint(uninterrupted, STEPS).resolve("model.safetensors")),
                Files.readAllBytes(Fixtures.checkpoint(killed, STEPS).resolve("model.safetensors")),
                "the resumed run's final parameters are the uninterrupted run's, bit for bit");
        List<Long> logged = new ArrayList<>();
        for (JsonNode l : Fixtures.metrics(killed)) logged.add(l.get("step").asLong());
        List<Long> expected = new ArrayList<>();
        for (long s = H; s <= STEPS; s += H) expected.add(s);
        assertEquals(expected, logged, "every round logged once: none lost, none repeated");
        assertEquals(List.of(), Fixtures.temporaries(killed), "no temporary file or directory left after the resume");
        assertTrue(new File(killed.toFile(), "config.conf").isFile());
    }
}
