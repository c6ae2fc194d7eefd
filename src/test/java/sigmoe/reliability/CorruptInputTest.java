package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.model.Checkpoint;
import sigmoe.model.Safetensors;
import sigmoe.model.SafetensorsTensor;
import sigmoe.testutil.TestCorpora;

/**
 * Corrupt inputs end to end through the CLI: every one is a one-paragraph error naming the file and the field, a
 * non-zero exit, no stack trace, and the run directory (with its checkpoints) byte for byte as it was. Corpus and
 * checkpoint problems are found before Spark starts (SparkTrainer.plan), so each case takes well under a second.
 */
class CorruptInputTest {
    @TempDir static Path tmp;
    static Path corpus, conf, goodRun;
    static final String CK = "checkpoints/step-00000004/";

    @BeforeAll
    static void goodRunWithCheckpoints() throws Exception {
        corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 30_000, 4_000, 4_000);
        goodRun = tmp.resolve("run");
        conf = Fixtures.confFile(tmp.resolve("run.conf"), corpus, goodRun, "steps = 4", "checkpoint_interval = 2");
        Fixtures.Run r = Fixtures.cli("train", conf.toString());
        assertEquals(0, r.rc(), r.err());
        assertTrue(Files.exists(goodRun.resolve(CK + "model.safetensors")));
    }

    /** A copy of the good corpus with one thing broken. */
    static Path brokenCorpus(String name, IoAction breakIt) throws IOException {
        Path d = tmp.resolve("corpora").resolve(name);
        Fixtures.copyTree(corpus, d);
        breakIt.apply(d);
        return d;
    }

    interface IoAction { void apply(Path dir) throws IOException; }

    static void patch(Path file, long offset, byte... bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    /** Trains on the corpus into the good run directory (which must stay untouched); returns the message. */
    static String trainFails(Path badCorpus, int rc, String... fragments) throws IOException {
        Map<String, byte[]> before = Fixtures.snapshot(goodRun);
        Fixtures.Run r = Fixtures.cli("train", conf.toString(), "train.data=" + badCorpus);
        String m = Fixtures.assertCleanError(r, rc, fragments);
        Fixtures.assertUnchanged(before, goodRun);
        System.out.printf("  [%.2f s, exit %d] %s%n", r.seconds(), r.rc(), m);
        return m;
    }

    @Test
    void corruptCorporaAreNamedAndChangeNothing() throws IOException {
        trainFails(brokenCorpus("truncated", d -> {
            try (RandomAccessFile f = new RandomAccessFile(d.resolve("train-00000.bin").toFile(), "rw")) { f.setLength(64 + 1000); }
        }), 1, "train-00000.bin", "file length", "truncated");
        trainFails(brokenCorpus("flipped", d -> patch(d.resolve("train-00000.bin"), 64 + 2 * 777, (byte) 1)),
                1, "train-00000.bin", "payload crc32", "corrupted");
        trainFails(brokenCorpus("magic", d -> patch(d.resolve("valid-00000.bin"), 0, "NOTATOKN".getBytes(StandardCharsets.US_ASCII))),
                1, "valid-00000.bin", "magic", "NOTATOKN");
        trainFails(brokenCorpus("version", d -> patch(d.resolve("train-00000.bin"), 8, (byte) 7)),
                1, "train-00000.bin", "version: expected 1, found 7");
        trainFails(brokenCorpus("vocab", d -> {
            List<String> lines = Files.readAllLines(d.resolve("vocab.txt"));
            Files.write(d.resolve("vocab.txt"), lines.subList(0, lines.size() - 1));
        }), 1, "vocab.txt", "number of entries");
        trainFails(brokenCorpus("shard-vocab", d -> patch(d.resolve("train-00000.bin"), 24, (byte) 200)),
                1, "train-00000.bin", "vocabulary size");
        trainFails(brokenCorpus("no-valid", d -> editManifest(d, m -> { ((ObjectNode) m.get("splits")).remove("valid"); return m; })),
                1, "no split \"valid\"", "manifest.json");
        trainFails(brokenCorpus("empty-valid", d -> editManifest(d, m -> {
            ((ObjectNode) m.get("splits")).putObject("valid").put("tokens", 0).putArray("shards");
            return m;
        })), 1, "split \"valid\" is empty");
        trainFails(brokenCorpus("missing-shard", d -> Files.delete(d.resolve("valid-00000.bin"))), 1, "valid-00000.bin", "missing");
        trainFails(brokenCorpus("bad-json", d -> Files.writeString(d.resolve("manifest.json"), "{\"format\": ")),
                1, "manifest.json", "not valid JSON");
        trainFails(Files.createDirectories(tmp.resolve("corpora/empty")), 1, "not a prepared corpus", "manifest.json");
        // the single-process trainer checks the same, before its run directory is touched
        Map<String, byte[]> before = Fixtures.snapshot(goodRun);
        Fixtures.Run r = Fixtures.cli("train", conf.toString(), "--single-process", "train.data=" + tmp.resolve("corpora/flipped"));
        Fixtures.assertCleanError(r, 1, "train-00000.bin", "payload crc32");
        Fixtures.assertUnchanged(before, goodRun);
    }

    static void editManifest(Path dir, UnaryOperator<com.fasterxml.jackson.databind.JsonNode> f) throws IOException {
        Path mf = dir.resolve("manifest.json");
        Files.write(mf, Fixtures.JSON.writeValueAsBytes(f.apply(Fixtures.JSON.readTree(mf.toFile()))));
    }

    @Test
    void invalidUtf8ForTheWordTokenizerNamesTheFileAndLine() throws IOException {
        Path in = tmp.resolve("latin1.txt");
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 40; i++) text.append(i == 17 ? "some years ago \u00e9t\u00e9" : "call me ishmael " + i).append('\n');
        Files.write(in, text.toString().getBytes(StandardCharsets.ISO_8859_1)); // Latin-1, not UTF-8, on line 17
        Path out = tmp.resolve("latin1-corpus");
        Fixtures.Run r = Fixtures.cli("prepare", "--tokenizer", "word", "--input", in.toString(), "--output", out.toString(),
                "--master", "local[1]");
        String m = Fixtures.assertCleanError(r, 1, "latin1.txt", "invalid UTF-8", "line 17");
        System.out.printf("  [%.2f s, exit %d] %s%n", r.seconds(), r.rc(), m);
        assertFalse(Files.exists(out.resolve("manifest.json")), "no corpus written");
    }

    /** A copy of the good run with its newest checkpoint broken; resuming it must fail and change nothing. */
    static String resumeFails(String name, IoAction breakIt, int rc, String... fragments) throws IOException {
        Path run = tmp.resolve("runs").resolve(name);
        Fixtures.copyTree(goodRun, run);
        breakIt.apply(run);
        Map<String, byte[]> before = Fixtures.snapshot(run);
        Fixtures.Run r = Fixtures.cli("train", conf.toString(), "--resume", "train.run_dir=" + run);
        String m = Fixtures.assertCleanError(r, rc, fragments);
        Fixtures.assertUnchanged(before, run);
        System.out.printf("  [%.2f s, exit %d] %s%n", r.seconds(), r.rc(), m);
        return m;
    }

    /** Rewrites a model checkpoint with its tensors edited (name -> [shape, values]). */
    static void rewrite(Path file, java.util.function.Consumer<Map<String, Object[]>> edit) throws IOException {
        Checkpoint c = Checkpoint.load(file.toString());
        Map<String, Object[]> t = new java.util.LinkedHashMap<>();
        for (String n : c.names()) t.put(n, new Object[] {c.shape(n), c.tensor(n)});
        edit.accept(t);
        List<SafetensorsTensor> list = new ArrayList<>();
        t.forEach((n, v) -> list.add(SafetensorsTensor.ofFloats(n, (long[]) v[0], (float[]) v[1])));
        Safetensors.write(file.toString(), list, c.metadata());
    }

    @Test
    void corruptCheckpointsAreNamedAndChangeNothing() throws IOException {
        resumeFails("missing-tensor", d -> rewrite(d.resolve(CK + "model.safetensors"), t -> t.remove("layers.1.ffn.keys")),
                1, "model.safetensors", "missing from the file (1): layers.1.ffn.keys");
        resumeFails("extra-tensor", d -> rewrite(d.resolve(CK + "model.safetensors"),
                t -> t.put("layers.2.norm1.weight", new Object[] {new long[] {32}, new float[32]})),
                1, "model.safetensors", "extra in the file (1): layers.2.norm1.weight");
        resumeFails("misshapen-tensor", d -> rewrite(d.resolve(CK + "model.safetensors"), t -> {
            float[] b = (float[]) t.get("output.bias")[1];
            t.put("output.bias", new Object[] {new long[] {b.length + 1}, new float[b.length + 1]});
        }), 1, "model.safetensors", "wrong shape (1): output.bias");
        resumeFails("header-too-long", d -> {
            Path f = d.resolve(CK + "model.safetensors");
            patch(f, 0, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Files.size(f)).array());
        }, 1, "model.safetensors", "header length", "file size");
        resumeFails("truncated-model", d -> {
            try (RandomAccessFile f = new RandomAccessFile(d.resolve(CK + "model.safetensors").toFile(), "rw")) { f.setLength(f.length() - 100); }
        }, 1, "model.safetensors", "data_offsets");
        resumeFails("missing-slice-state", d -> Files.delete(d.resolve(CK + "state-slice-1.safetensors")),
                1, "state-slice-1.safetensors", "no such file");
        resumeFails("truncated-slice-state", d -> {
            try (RandomAccessFile f = new RandomAccessFile(d.resolve(CK + "state-slice-0.safetensors").toFile(), "rw")) { f.setLength(20); }
        }, 1, "state-slice-0.safetensors", "header length");
        resumeFails("wrong-format", d -> {
            Path f = d.resolve(CK + "model.safetensors");
            byte[] b = Files.readAllBytes(f);
            String s = new String(b, StandardCharsets.ISO_8859_1).replace("sgmoe-ckpt-1", "sgmoe-ckpt-9");
            Files.write(f, s.getBytes(StandardCharsets.ISO_8859_1));
        }, 1, "model.safetensors", "__metadata__.format", "sgmoe-ckpt-9");
        // a checkpoint of two slices cannot be resumed by one (the streams' cursors and memory belong to the slices)
        Path run = tmp.resolve("runs/workers");
        Fixtures.copyTree(goodRun, run);
        Map<String, byte[]> before = Fixtures.snapshot(run);
        Fixtures.Run r = Fixtures.cli("train", conf.toString(), "--resume", "train.run_dir=" + run, "train.workers=1");
        Fixtures.assertCleanError(r, 2, "model.safetensors", "__metadata__.slices", "train.workers=2");
        r = Fixtures.cli("train", conf.toString(), "--resume", "--single-process", "train.run_dir=" + run);
        Fixtures.assertCleanError(r, 2, "__metadata__.slices", "without --single-process");
        Fixtures.assertUnchanged(before, run);
    }
}
