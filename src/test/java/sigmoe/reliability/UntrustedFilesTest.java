package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.Manifest;
import sigmoe.data.ShardHeader;
import sigmoe.model.Checkpoint;
import sigmoe.model.CheckpointState;
import sigmoe.model.SafetensorsReader;
import sigmoe.model.TransformerXL;
import sigmoe.testutil.TestCorpora;
import sigmoe.train.Replica;
import sigmoe.train.ReplicaState;
import sigmoe.train.SegmentStreams;
import sigmoe.train.Trainer;

/**
 * Checkpoints, trainer states, manifests and shards are data: parsed with size limits, never deserialized, and a size
 * read from a header is checked against the file before anything is allocated from it. Each hostile file below claims
 * far more than the test JVM could allocate (2^40 bytes or elements); an allocation from it would fail with an
 * OutOfMemoryError instead of the format error asserted here.
 */
class UntrustedFilesTest {
    @TempDir Path tmp;

    static byte[] u64(long v) { return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(); }

    static Path safetensors(Path file, long headerLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h);
        return Files.write(file, b.array());
    }

    static String rejected(Path file) {
        Exception e = assertThrows(IOException.class, () -> Checkpoint.load(file.toString()));
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        System.out.println("  " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void safetensorsSizesAreCheckedBeforeAllocating() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertTrue(rejected(safetensors(tmp.resolve("len-2^40.safetensors"), 1L << 40, h, 8)).contains("header length"));
        assertTrue(rejected(safetensors(tmp.resolve("len-negative.safetensors"), -5, h, 8)).contains("header length"));
        // under the 100 MB limit, but more than the file holds
        assertTrue(rejected(safetensors(tmp.resolve("len-90MB.safetensors"), 90_000_000, h, 8)).contains("file size"));
        String huge = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1048576,1048576],\"data_offsets\":[0,4398046511104]}}";
        assertTrue(rejected(safetensors(tmp.resolve("tensor-2^42.safetensors"), huge.length(), huge, 8)).contains("data_offsets"));
        String overflow = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}";
        assertTrue(rejected(safetensors(tmp.resolve("shape-overflow.safetensors"), overflow.length(), overflow, 8)).contains("data_offsets"));
        try (SafetensorsReader r = SafetensorsReader.open(safetensors(tmp.resolve("ok.safetensors"), h.length(), h, 8).toString())) {
            assertEquals(1, r.entries().size()); // the well-formed twin is accepted
        }
    }

    @Test
    void aShardClaiming2To40TokensIsRejectedByItsLength() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("claims"));
        long claimed = 1L << 40;
        Files.write(dir.resolve("train-00000.bin"), concat(new ShardHeader(2, claimed, 3, 0).encode(), new byte[20]));
        Files.writeString(dir.resolve("vocab.txt"), "10\n104\n105\n");
        Manifest.Split split = new Manifest.Split(claimed, List.of(new Manifest.ShardEntry("train-00000.bin", claimed, 0)), -1);
        Files.write(dir.resolve("manifest.json"), new Manifest("byte", Map.of(), 3, Map.of("train", split)).toJson());
        Exception e = assertThrows(IOException.class, () -> Corpus.open(dir.toString()).split("train"));
        assertTrue(e.getMessage().contains("train-00000.bin") && e.getMessage().contains("file length")
                && e.getMessage().contains("truncated"), e.getMessage());
        System.out.println("  " + e.getMessage());
        // a token count that overflows the byte count is refused too
        Files.write(dir.resolve("train-00000.bin"), concat(new ShardHeader(4, Long.MAX_VALUE / 2, 3, 0).encode(), new byte[20]));
        Files.write(dir.resolve("manifest.json"), new Manifest("byte", Map.of(), 3, Map.of("train",
                new Manifest.Split(Long.MAX_VALUE / 2, List.of(new Manifest.ShardEntry("train-00000.bin", Long.MAX_VALUE / 2, 0)), -1))).toJson());
        e = assertThrows(IOException.class, () -> Corpus.open(dir.toString()).split("train"));
        assertTrue(e.getMessage().contains("file length"), e.getMessage());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aGigabyteManifestOrVocabularyIsRefusedUnread() throws IOException {
        Path dir = TestCorpora.byteCorpus(tmp.resolve("big"), 2_000, 500, 500);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("manifest.json").toFile(), "rw")) { f.setLength(1L << 30); } // sparse
        long t0 = System.nanoTime();
        Exception e = assertThrows(IOException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("file size"), e.getMessage());
        assertTrue((System.nanoTime() - t0) < 2e9, "refused without reading 1 GB");
        System.out.println("  " + e.getMessage());
        Path dir2 = TestCorpora.byteCorpus(tmp.resolve("big2"), 2_000, 500, 500);
        try (RandomAccessFile f = new RandomAccessFile(dir2.resolve("vocab.txt").toFile(), "rw")) { f.setLength(3L << 30); }
        e = assertThrows(IOException.class, () -> Corpus.open(dir2.toString()));
        assertTrue(e.getMessage().contains("vocab.txt") && e.getMessage().contains("file size"), e.getMessage());
        // shard names cannot leave the corpus directory
        Path dir3 = TestCorpora.byteCorpus(tmp.resolve("escape"), 2_000, 500, 500);
        String json = Files.readString(dir3.resolve("manifest.json")).replace("\"train-00000.bin\"", "\"/etc/passwd\"");
        Files.writeString(dir3.resolve("manifest.json"), json);
        e = assertThrows(IOException.class, () -> Corpus.open(dir3.toString()));
        assertTrue(e.getMessage().contains("splits.train.shards[0].file"), e.getMessage());
    }

    @Test
    void aTrainerStateClaimingAHugeMemoryIsRefusedBeforeAllocating() throws Exception {
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 20_000, 2_000, 2_000);
        RunConfig rc = Fixtures.config(corpus, tmp.resolve("run"));
        TransformerXL model = new TransformerXL(rc.modelFor(Corpus.open(corpus.toString()).vocabSize()), DataType.FLOAT);
        Replica r = new Replica(model, Trainer.adam(model, rc.train()),
                new SegmentStreams(Corpus.open(corpus.toString()).split("train"), 32, 8, 0, 8), 32, 1);
        Path state = tmp.resolve("state.safetensors");
        new CheckpointState().setLong("adam.step", 1).setLong("step", 1).setLong("rng", 1)
                .setLong("memory.batch", 1L << 20).setLong("memory.length", 1L << 20).write(state.toString());
        Exception e = assertThrows(IOException.class, () -> ReplicaState.read(r, state.toString()));
        assertTrue(e.getMessage().contains("memory.batch") && e.getMessage().contains("state.safetensors"), e.getMessage());
        System.out.println("  " + e.getMessage());
        // the right sizes, but no tensors behind them
        new CheckpointState().setLong("adam.step", 1).setLong("step", 1).setLong("rng", 1)
                .setLong("memory.batch", 8).setLong("memory.length", 32).write(state.toString());
        e = assertThrows(IOException.class, () -> ReplicaState.read(r, state.toString()));
        assertTrue(e.getMessage().contains("memory.layer0"), e.getMessage());
    }

    /** No file is ever read with Java deserialization (Spark's own task serialization is not file input). */
    @Test
    void nothingInTheSourcesDeserializesFiles() throws IOException {
        Pattern forbidden = Pattern.compile("ObjectInputStream|readObject\\s*\\(|XMLDecoder|SerializationUtils\\.deserialize|enableDefaultTyping|activateDefaultTyping");
        // Spark-wire classes: their readObject hooks read what Spark's own task/broadcast serialization hands them
        // (bulk little-endian arrays), never a file
        List<String> sparkWire = List.of("spark/ArrayIO.java", "spark/RoundState.java", "spark/StateSum.java");
        List<String> hits = new ArrayList<>();
        try (var s = Files.walk(Path.of("src/main/java"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!p.toString().endsWith(".java")) continue;
                if (sparkWire.stream().anyMatch(w -> p.toString().replace('\\', '/').endsWith("sigmoe/" + w))) continue;
                List<String> lines = Files.readAllLines(p);
                for (int i = 0; i < lines.size(); i++) if (forbidden.matcher(lines.get(i)).find()) hits.add(p + ":" + (i + 1));
            }
        }
        assertEquals(List.of(), hits);
    }
}
