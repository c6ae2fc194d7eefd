package sigmoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader against hand-written corpora: round trips, random access, and every corruption named precisely. */
class CorpusReaderTest {
    @TempDir
    Path tmp;

    private static final List<String> VOCAB = List.of("<eos>", "<unk>", "the", "whale", "sea");

    private Path corpus() throws IOException {
        Map<String, int[][]> s = new LinkedHashMap<>();
        s.put("train", new int[][] {{2, 3, 0}, {4, 2}, {}, {3, 3, 1, 0}});
        s.put("valid", new int[][] {{2, 4, 0}});
        s.put("test", new int[][] {{3, 0}});
        return TestCorpora.writeWordCorpus(tmp.resolve("c"), VOCAB, s);
    }

    @Test
    void roundTripAcrossShardsWithRandomAccess() throws IOException {
        Corpus c = Corpus.open(corpus().toString());
        assertEquals(5, c.vocabSize());
        assertEquals("word", c.tokenizerKind());
        assertEquals(List.of("train", "valid", "test"), c.splitNames());
        TokenStream t = c.split("train");
        int[] expected = {2, 3, 0, 4, 2, 3, 3, 1, 0};
        assertEquals(expected.length, t.size());
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], t.get(i), "position " + i);
        int[] part = new int[5];
        t.read(2, part, 0, 5); // crosses two shard boundaries and the empty shard
        assertArrayEquals(new int[] {0, 4, 2, 3, 3}, part);
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(9));
        assertThrows(IndexOutOfBoundsException.class, () -> t.read(7, new int[3], 0, 3));
        assertEquals("the whale\nsea the whale whale <unk>\n", c.vocabulary().decode(expected, 0, expected.length));
        assertArrayEquals(new int[] {3, 0}, TestCorpora.ids(c.split("test")));
    }

    @Test
    void heapReadingOfNonLocalFileSystemsGivesTheSameIds() throws IOException {
        Path dir = corpus();
        Corpus c = Corpus.open(dir.toString());
        // the checksummed LocalFileSystem is not the raw one, so the shard is read into the heap as for hdfs/s3a
        FileSystem checksummed = FileSystem.getLocal(new Configuration());
        Manifest.ShardEntry e = c.manifest().splits().get("train").shards().get(3);
        Shard s = Shard.open(checksummed, new org.apache.hadoop.fs.Path(dir.resolve(e.file()).toUri()), e, 5, true);
        assertEquals(4, s.tokens);
        assertEquals(List.of(3, 3, 1, 0), List.of(s.get(0), s.get(1), s.get(2), s.get(3)));
    }

    @Test
    void largeVocabulariesUseUint32Ids() throws IOException {
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < 70_000; i++) vocab.add("w" + i);
        Path dir = TestCorpora.writeWordCorpus(tmp.resolve("big"), vocab,
                Map.of("train", new int[][] {{69_999, 65_536, 0, 65_535}}));
        assertEquals(64 + 16, Files.size(dir.resolve("train-00000.bin")));
        Corpus c = Corpus.open(dir.toString());
        assertArrayEquals(new int[] {69_999, 65_536, 0, 65_535}, TestCorpora.ids(c.split("train")));
    }

    @Test
    void byteVocabularyDecodesToText() throws IOException {
        Path dir = tmp.resolve("bytes");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("vocab.txt"), "10\n104\n105\n");
        TestCorpora.writeShardsAndManifest(dir, "byte", 3, Map.of("train", new int[][] {{1, 2, 0}}));
        Corpus c = Corpus.open(dir.toString());
        assertEquals(104, c.vocabulary().byteValue(1));
        assertEquals("hi\n", c.vocabulary().decode(TestCorpora.ids(c.split("train")), 0, 3));
    }

    private static String fails(Path dir, String split) {
        Exception e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()).split(split));
        return e.getMessage();
    }

    private static void patch(Path file, long offset, byte... bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    @Test
    void truncatedShardIsNamedWithExpectedAndFoundLength() throws IOException {
        Path dir = corpus();
        Path shard = dir.resolve("train-00003.bin");
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(64 + 5);
        }
        String m = fails(dir, "train");
        assertTrue(m.contains("train-00003.bin") && m.contains("file length") && m.contains("expected 72 bytes")
                && m.contains("found 69 bytes") && m.contains("truncated"), m);
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(10);
        }
        m = fails(dir, "train");
        assertTrue(m.contains("train-00003.bin") && m.contains("header") && m.contains("found 10 bytes"), m);
    }

    @Test
    void flippedPayloadByteFailsTheCrc() throws IOException {
        Path dir = corpus();
        patch(dir.resolve("train-00001.bin"), 64, (byte) 3); // id 4 -> 3: still a valid id, only the CRC sees it
        String m = fails(dir, "train");
        assertTrue(m.contains("train-00001.bin") && m.contains("payload crc32") && m.contains("corrupted"), m);
        // without payload verification the header checks still pass (the caller's choice)
        assertEquals(9, Corpus.open(dir.toString()).split("train", false).size());
    }

    @Test
    void wrongMagicAndVersionAreNamed() throws IOException {
        Path dir = corpus();
        patch(dir.resolve("valid-00000.bin"), 0, "PK\u0003\u0004".getBytes(StandardCharsets.ISO_8859_1));
        String m = fails(dir, "valid");
        assertTrue(m.contains("valid-00000.bin") && m.contains("magic") && m.contains("\"SGMOETOK\"")
                && m.contains("PK\\x03\\x04"), m);
        patch(dir.resolve("test-00000.bin"), 8, (byte) 2);
        m = fails(dir, "test");
        assertTrue(m.contains("test-00000.bin") && m.contains("version: expected 1, found 2"), m);
    }

    @Test
    void vocabularyMismatchesAreNamed() throws IOException {
        Path dir = corpus();
        patch(dir.resolve("test-00000.bin"), 24, (byte) 6); // header vocab 5 -> 6
        String m = fails(dir, "test");
        assertTrue(m.contains("test-00000.bin") && m.contains("vocabulary size: expected 5") && m.contains("found 6"), m);
        Files.writeString(dir.resolve("vocab.txt"), "<eos>\n<unk>\nthe\nwhale\n");
        Exception e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("vocab.txt") && e.getMessage().contains("expected 5")
                && e.getMessage().contains("found 4"), e.getMessage());
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() throws IOException {
        Path dir = TestCorpora.writeWordCorpus(tmp.resolve("ids"), VOCAB, Map.of("train", new int[][] {{2, 5}}));
        String m = fails(dir, "train");
        assertTrue(m.contains("token 1") && m.contains("below the vocabulary size 5") && m.contains("found 5"), m);
    }

    @Test
    void missingSplitMissingShardAndEmptyCorpus() throws IOException {
        Path dir = corpus();
        String m = fails(dir, "validation");
        assertTrue(m.contains("no split \"validation\"") && m.contains("train, valid, test"), m);
        Files.delete(dir.resolve("valid-00000.bin"));
        m = fails(dir, "valid");
        assertTrue(m.contains("valid-00000.bin") && m.contains("missing"), m);

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Exception e = assertThrows(CorpusFormatException.class, () -> Corpus.open(empty.toString()));
        assertTrue(e.getMessage().contains("not a prepared corpus") && e.getMessage().contains("manifest.json"),
                e.getMessage());
        Path noTokens = TestCorpora.writeWordCorpus(tmp.resolve("zero"), VOCAB, Map.of("train", new int[][] {{}}));
        assertTrue(fails(noTokens, "train").contains("split \"train\" is empty"));
    }

    @Test
    void manifestProblemsNameTheField() throws IOException {
        Path dir = corpus();
        Path mf = dir.resolve("manifest.json");
        String json = Files.readString(mf);
        Files.writeString(mf, json.replace("\"tokens\" : 9,", "\"tokens\" : 10,"));
        Exception e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("splits.train.tokens") && e.getMessage().contains("expected 9"), e.getMessage());
        Files.writeString(mf, json.replace("\"train-00001.bin\"", "\"../train-00001.bin\""));
        e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("splits.train.shards[1].file"), e.getMessage());
        Files.writeString(mf, json.replace("\"vocab_size\" : 5", "\"vocab_size\" : \"5\""));
        e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("vocab_size") && e.getMessage().contains("non-negative integer"), e.getMessage());
        Files.writeString(mf, "{\"format\": \"sgmoe-shards-1\", ");
        e = assertThrows(CorpusFormatException.class, () -> Corpus.open(dir.toString()));
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
        // manifest crc disagreeing with the shard header: a shard from another corpus
        Files.writeString(mf, json.replaceFirst("\"crc32\" : \"[0-9a-f]{8}\"", "\"crc32\" : \"00000000\""));
        String m = fails(dir, "train");
        assertTrue(m.contains("train-00000.bin") && m.contains("header crc32") && m.contains("00000000"), m);
    }

    @Test
    void trailingBytesAreRejected() throws IOException {
        Path dir = corpus();
        Files.write(dir.resolve("test-00000.bin"), new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
        String m = fails(dir, "test");
        assertTrue(m.contains("file length") && m.contains("trailing"), m);
    }
}
