package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import sigmoe.cli.Main;
import sigmoe.config.RunConfig;

/** Shared helpers of the reliability tests: a tiny configuration, the CLI, directory snapshots, error checks. */
final class Fixtures {
    private Fixtures() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** The tiny σ-MoE of the trainer tests (2 layers, d = 32, N_E = 4, K = 2) with B = 8 streams of T = 32. */
    static final String MODEL = "model { d_model = 32, n_layers = 2, n_heads = 2, head_dim = 16, ffn = sigma_moe, d_ff = null,"
            + " n_experts = 4, expert_size = 16, top_k = 2, entropy_reg = 0.01, dropout = 0.1, vocab_size = null }\n";

    /** A configuration file for the CLI: the tiny model, W = 2 slices of 4 streams, H = 2, local[2]. */
    static Path confFile(Path file, Path corpus, Path runDir, String... trainLines) throws IOException {
        StringBuilder b = new StringBuilder(MODEL).append("train {\n")
                .append("  data = ").append(quote(corpus.toString())).append("\n")
                .append("  run_dir = ").append(quote(runDir.toString())).append("\n")
                .append("  steps = 12, batch_size = 8, segment_length = 32, lr = 3e-3, warmup = 3, log_interval = 1\n")
                .append("  eval_interval = 0, eval_batches = 2, checkpoint_interval = 0, workers = 2, averaging_frequency = 2\n")
                .append("  master = \"local[2]\"\n");
        for (String l : trainLines) b.append("  ").append(l).append("\n");
        Files.createDirectories(file.getParent());
        return Files.writeString(file, b.append("}\n").toString());
    }

    /** The same configuration as a RunConfig with key=value overrides (for calling the trainers directly). */
    static RunConfig config(Path corpus, Path runDir, String... overrides) {
        List<String> o = new ArrayList<>(List.of("train.data=" + corpus, "train.run_dir=" + runDir, "train.steps=12",
                "train.batch_size=8", "train.segment_length=32", "train.lr=3e-3", "train.warmup=3", "train.log_interval=1",
                "train.eval_interval=0", "train.eval_batches=2", "train.checkpoint_interval=0", "train.workers=2",
                "train.averaging_frequency=2", "model.d_model=32", "model.n_layers=2", "model.n_heads=2",
                "model.head_dim=16", "model.ffn=sigma_moe", "model.d_ff=null", "model.n_experts=4", "model.expert_size=16",
                "model.top_k=2", "model.entropy_reg=0.01", "model.dropout=0.1", "model.vocab_size=null"));
        o.addAll(List.of(overrides));
        return RunConfig.parse("", o);
    }

    static String quote(String s) { return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""; }

    /** One CLI invocation's exit code and streams. */
    record Run(int rc, String out, String err, double seconds) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        long t0 = System.nanoTime();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString(), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * A user-facing failure: the exit code, stderr one paragraph without a stack trace or an exception class name,
     * containing every expected fragment. Returns the message.
     */
    static String assertCleanError(Run r, int rc, String... fragments) {
        String e = r.err().strip();
        assertEquals(rc, r.rc(), "exit code; stderr: " + r.err() + "\nstdout: " + r.out());
        assertFalse(e.isEmpty(), "an error message");
        assertFalse(e.contains("\tat ") || e.contains("Exception") || e.contains("Error:") || e.contains("unexpected failure"),
                "no stack trace or exception class: " + e);
        assertEquals(1, e.split("\n").length, "one paragraph: " + e);
        for (String f : fragments) assertTrue(e.contains(f), "'" + f + "' in: " + e);
        return e;
    }

    /** Every file under a directory (relative path -> bytes). */
    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        if (!Files.exists(dir)) return m;
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) if (Files.isRegularFile(p)) m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    static void assertUnchanged(Map<String, byte[]> before, Path dir) throws IOException {
        Map<String, byte[]> after = snapshot(dir);
        assertEquals(before.keySet(), after.keySet(), "the same files in " + dir);
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k + " unchanged");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path d = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(d);
                else Files.copy(p, d);
            }
        }
    }

    static List<JsonNode> metrics(Path runDir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(runDir.resolve("metrics.jsonl"))) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    static Path checkpoint(Path runDir, long step) { return runDir.resolve("checkpoints").resolve(String.format("step-%08d", step)); }

    /** Names in a tree that are temporary (".x.tmp", ".tmp-step-N", "*.tmp-*"); Hadoop's ".x.crc" side files are not. */
    static List<String> temporaries(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (p.equals(dir) || n.endsWith(".crc")) continue;
                if (n.startsWith(".") || n.contains(".tmp")) out.add(dir.relativize(p).toString());
            }
        }
        return out;
    }
}
