package sigmoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Word-level preparation of small inputs against hand-computed vocabularies and ids (one local[2] context). */
class WordPrepareTest {
    static JavaSparkContext jsc;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        jsc = TestCorpora.spark("local[2]");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    private PrepareOptions word(String out) {
        return new PrepareOptions().tokenizer("word").output(tmp.resolve(out).toString());
    }

    private Path splits(String train, String valid, String test) throws IOException {
        TestCorpora.write(tmp.resolve("in/train.txt"), train);
        TestCorpora.write(tmp.resolve("in/valid.txt"), valid);
        TestCorpora.write(tmp.resolve("in/test.txt"), test);
        return tmp.resolve("in");
    }

    private PrepareOptions withSplits(PrepareOptions o, Path in) {
        return o.splits(in.resolve("train.txt").toString(), in.resolve("valid.txt").toString(),
                in.resolve("test.txt").toString());
    }

    @Test
    void separateFilesHandComputedIdsWithMinCount() throws IOException {
        // train counts: a 3, b 2, c 1; min-count 2 keeps a, b -> <eos> 0, <unk> 1, a 2, b 3
        Path in = splits("a b a\nc a b\n", "a d\n\n", "b c");
        PrepareResult r = PrepareJob.run(jsc, withSplits(word("out").minCount(2).partitions(3), in));
        Path out = tmp.resolve("out");
        assertEquals(List.of("<eos>", "<unk>", "a", "b"), Files.readAllLines(out.resolve("vocab.txt")));
        assertArrayEquals(new int[] {2, 3, 2, 0, 1, 2, 3, 0}, TestCorpora.ids(out, "train"));
        assertArrayEquals(new int[] {2, 1, 0, 0}, TestCorpora.ids(out, "valid")); // empty line -> <eos> alone
        assertArrayEquals(new int[] {3, 1, 0}, TestCorpora.ids(out, "test"));      // last line without '\n'
        assertEquals(4, r.vocabSize());
        assertArrayEquals(new long[] {8, 4, 3}, r.tokens());
        assertArrayEquals(new long[] {1, 1, 1}, r.unk());
        Manifest m = Corpus.open(out.toString()).manifest();
        assertEquals(1, m.splits().get("valid").unkTokens());
        assertEquals(0, m.tokenizerParams().get("eos_id"));
        assertEquals(1, m.tokenizerParams().get("unk_id"));
        assertEquals(List.of("manifest.json", "test-00000.bin", "train-00000.bin", "valid-00000.bin", "vocab.txt"),
                TestCorpora.names(out));
        assertTrue(r.report().contains("OOV rate") && r.report().contains("output " + r.output()), r.report());
        assertEquals(out, Path.of(java.net.URI.create(r.output())));
    }

    @Test
    void vocabularyOrderCountThenUtf8BytesAndMaxVocab() throws IOException {
        // all counts 1 except "x" (2): ties ordered by UTF-8 bytes, which differs from Java's UTF-16 order for
        // U+FF21 (EF BC A1) versus U+1F600 (F0 9F 98 80, a surrogate pair D83D DE00 in UTF-16)
        Path in = splits("b a \u00e9 Z x \uFF21 \uD83D\uDE00 x <unk>\n", "a\n", "x\n");
        PrepareJob.run(jsc, withSplits(word("v"), in));
        assertEquals(List.of("<eos>", "<unk>", "x", "Z", "a", "b", "\u00e9", "\uFF21", "\uD83D\uDE00"),
                Files.readAllLines(tmp.resolve("v/vocab.txt")));
        // the literal <unk> of WikiText maps to the <unk> id and counts as unknown
        assertArrayEquals(new int[] {5, 4, 6, 3, 2, 7, 8, 2, 1, 0}, TestCorpora.ids(tmp.resolve("v"), "train"));
        PrepareResult r = PrepareJob.run(jsc, withSplits(word("m").maxVocab(4), in));
        assertEquals(List.of("<eos>", "<unk>", "x", "Z"), Files.readAllLines(tmp.resolve("m/vocab.txt")));
        assertArrayEquals(new long[] {6, 1, 0}, r.unk()); // b a \u00e9 \uFF21 \uD83D\uDE00 <unk>
    }

    @Test
    void pythonWhitespaceSplitsWords() throws IOException {
        Path in = splits("x\u00a0y\u2028z\tw\r\n  \n", "x\n", "y\n");
        PrepareJob.run(jsc, withSplits(word("ws"), in));
        Corpus c = Corpus.open(tmp.resolve("ws").toString());
        int[] ids = TestCorpora.ids(c.split("train"));
        assertEquals("w x y z\n\n", c.vocabulary().decode(new int[] {c.vocabulary().id("w"), c.vocabulary().id("x"),
                c.vocabulary().id("y"), c.vocabulary().id("z"), 0, 0}, 0, 6));
        assertEquals(6, ids.length); // 4 words + <eos>, then the blank line's <eos>
        assertEquals(0, ids[4]);
        assertEquals(0, ids[5]);
    }

    @Test
    void oneInputSplitByLineIndexIntoSmallShards() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 20; i++) s.append("w").append(i).append(i % 3 == 0 ? " common\n" : "\n");
        Path f = TestCorpora.write(tmp.resolve("in/all.txt"), s.toString());
        PrepareResult r = PrepareJob.run(jsc, word("r").input(f.toString()).splitRatios(0.5, 0.25, 0.25)
                .shardTokens(4).partitions(5));
        Corpus c = Corpus.open(tmp.resolve("r").toString());
        assertEquals("w0 common\nw1\nw2\nw3 common\nw4\nw5\nw6 common\nw7\nw8\nw9 common\n", decode(c, "train"));
        assertEquals("<unk>\n<unk>\n<unk> common\n<unk>\n<unk>\n", decode(c, "valid"));        // lines 10..14
        assertEquals("<unk> common\n<unk>\n<unk>\n<unk> common\n<unk>\n", decode(c, "test"));  // lines 15..19
        assertEquals(24, r.tokens()[0]);
        assertEquals(6, r.shards()[0]); // 24 tokens / 4 per shard
        for (Manifest.ShardEntry e : c.manifest().splits().get("train").shards()) assertEquals(4, e.tokens());
        assertEquals(List.of(4L, 4L, 3L), c.manifest().splits().get("valid").shards().stream()
                .map(Manifest.ShardEntry::tokens).toList());
    }

    private static String decode(Corpus c, String split) throws IOException {
        int[] ids = TestCorpora.ids(c.split(split));
        return c.vocabulary().decode(ids, 0, ids.length);
    }

    @Test
    void invalidUtf8NamesFileAndLineAndLeavesNothing() throws IOException {
        Path in = splits("ok\nfine\n", "x\n", "y\n");
        Files.write(in.resolve("valid.txt"), new byte[] {'x', '\n', 'a', 'b', (byte) 0xc3, '(', '\n'});
        Path out = tmp.resolve("bad");
        PrepareException e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, withSplits(word("bad").partitions(4), in)));
        assertFalse(e.isUsage());
        assertTrue(e.getMessage().contains("valid.txt") && e.getMessage().contains("line 2")
                && e.getMessage().contains("byte offset 2") && e.getMessage().contains("invalid UTF-8"), e.getMessage());
        assertFalse(Files.exists(out));
        assertEquals(List.of("in"), TestCorpora.names(tmp)); // no temporary directory left
        // the same in train (found by the counting pass); a genuine U+FFFD is valid text
        Files.write(in.resolve("valid.txt"), "x \uFFFD\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(in.resolve("train.txt"), new byte[] {'o', 'k', '\n', (byte) 0xff, '\n'});
        e = assertThrows(PrepareException.class, () -> PrepareJob.run(jsc, withSplits(word("bad"), in)));
        assertTrue(e.getMessage().contains("train.txt: line 2"), e.getMessage());
    }

    @Test
    void emptyInputsAndEmptySplitsAreErrors() throws IOException {
        Path in = splits("a\n", "", "b\n");
        PrepareException e = assertThrows(PrepareException.class, () -> PrepareJob.run(jsc, withSplits(word("e"), in)));
        assertTrue(e.getMessage().contains("--valid") && e.getMessage().contains("empty"), e.getMessage());
        Path two = TestCorpora.write(tmp.resolve("two.txt"), "a\nb\n");
        e = assertThrows(PrepareException.class, () -> PrepareJob.run(jsc, word("e").input(two.toString())));
        assertTrue(e.getMessage().contains("2 lines") && e.getMessage().contains("valid"), e.getMessage());
        e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, word("e").input(tmp.resolve("nope.txt").toString())));
        assertTrue(e.isUsage() && e.getMessage().contains("nope.txt") && e.getMessage().contains("no such file"));
        assertEquals(List.of("in", "two.txt"), TestCorpora.names(tmp));
    }

    @Test
    void existingOutputNeedsOverwriteAndMustBeACorpus() throws IOException {
        Path in = splits("a b\n", "a\n", "b\n");
        PrepareJob.run(jsc, withSplits(word("o"), in));
        PrepareException e = assertThrows(PrepareException.class, () -> PrepareJob.run(jsc, withSplits(word("o"), in)));
        assertTrue(e.isUsage() && e.getMessage().contains("already exists") && e.getMessage().contains("--overwrite"));
        TestCorpora.write(in.resolve("train.txt"), "c c\n");
        PrepareJob.run(jsc, withSplits(word("o").overwrite(true), in));
        assertEquals(List.of("<eos>", "<unk>", "c"), Files.readAllLines(tmp.resolve("o/vocab.txt")));
        Files.createDirectories(tmp.resolve("notes"));
        TestCorpora.write(tmp.resolve("notes/todo.txt"), "keep me");
        e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, withSplits(word("notes").overwrite(true), in)));
        assertTrue(e.getMessage().contains("not a previous output"), e.getMessage());
        assertTrue(Files.exists(tmp.resolve("notes/todo.txt")));
        assertEquals(List.of("in", "notes", "o"), TestCorpora.names(tmp));
    }
}
