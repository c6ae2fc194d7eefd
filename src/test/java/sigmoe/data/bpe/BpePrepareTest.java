package sigmoe.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sigmoe.cli.SparkContexts;
import sigmoe.data.Corpus;
import sigmoe.data.CorpusFormatException;
import sigmoe.data.Manifest;
import sigmoe.data.PrepareJob;
import sigmoe.data.PrepareOptions;
import sigmoe.data.PrepareResult;
import sigmoe.data.TokenStream;
import sigmoe.data.Vocabulary;

/**
 * {@code prepare --tokenizer bpe} end to end (local[2]): the written vocabulary, merges and ids equal the naive
 * reference's, and every split decodes back to its exact text.
 */
class BpePrepareTest {
    static JavaSparkContext jsc;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        jsc = SparkContexts.start("local[2]", "sigmoe-test");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    static int[] ids(Corpus c, String split) throws IOException {
        TokenStream t = c.split(split);
        int[] a = new int[Math.toIntExact(t.size())];
        t.read(0, a, 0, a.length);
        return a;
    }

    static String decode(Corpus c, String split) throws IOException {
        int[] ids = ids(c, split);
        return c.vocabulary().decode(ids, 0, ids.length);
    }

    /** Checks the corpus against the reference trained on its train text; returns the reference. */
    private static NaiveBpe assertAsReference(Corpus c, String trainText, String validText, String testText, int vocabSize)
            throws IOException {
        NaiveBpe ref = NaiveBpe.train(NaiveBpe.count(BpeTestText.lines(trainText)), vocabSize);
        Vocabulary v = c.vocabulary();
        assertTrue(v.isPieces());
        assertEquals(ref.vocab.size(), v.size());
        for (int id = 0; id < v.size(); id++) assertArrayEquals(ref.tokenBytes(id), v.pieceBytes(id), "token " + id);
        String[] texts = {trainText, validText, testText};
        for (int s = 0; s < 3; s++) {
            String split = List.of("train", "valid", "test").get(s);
            assertArrayEquals(ref.encodeLines(BpeTestText.lines(texts[s])), ids(c, split), split + " ids");
        }
        return ref;
    }

    @Test
    void mobyDickOneInputMatchesReferenceAndDecodesExactly() throws IOException {
        String text = BpeTestText.mobyDick(120_000);
        for (String s : new String[] {"—", "“", "”", "’"}) assertTrue(text.contains(s), "the slice has " + s);
        Path in = Files.writeString(tmp.resolve("moby.txt"), text);
        Path out = tmp.resolve("moby-bpe");
        PrepareResult r = PrepareJob.run(jsc, new PrepareOptions().tokenizer("bpe").input(in.toString())
                .output(out.toString()).vocabSize(500).partitions(3).shardTokens(10_000));
        Corpus c = Corpus.open(out.toString());
        String train = decode(c, "train"), valid = decode(c, "valid"), test = decode(c, "test");
        assertEquals(text, train + valid + test); // exact, em-dashes and curly quotes included
        int lines = BpeTestText.lines(text).size();
        assertEquals(lines * 9 / 10, BpeTestText.lines(train).size(), 1);
        assertAsReference(c, train, valid, test, 500);

        assertEquals(500, r.vocabSize());
        assertArrayEquals(new long[] {0, 0, 0}, r.unk());
        assertTrue(r.shards()[0] > 1, "several train shards");
        Map<String, Object> p = c.manifest().tokenizerParams();
        assertEquals("bpe", c.tokenizerKind());
        assertEquals(BpeModel.MERGES_FILE, p.get("merges_file"));
        assertEquals(244, p.get("merges"));
        assertEquals(10, p.get("newline_id"));
        assertEquals(500, p.get("requested_vocab_size"));
        for (Manifest.Split s : c.manifest().splits().values()) assertEquals(0, s.unkTokens());
        try (var files = Files.list(out)) {
            assertEquals(List.of("bpe-merges.txt", "manifest.json", "vocab.txt"), files.map(f -> f.getFileName().toString())
                    .filter(n -> !n.endsWith(".bin")).sorted().toList());
        }
        // the saved model re-encodes the text to the same ids
        BpeModel m = BpeModel.open(c, new Configuration());
        assertArrayEquals(ids(c, "valid"), m.encode(valid));
        assertEquals(Files.readAllLines(out.resolve("vocab.txt"), StandardCharsets.UTF_8).get(256 + 243),
                PieceText.render(m.token(m.mergeLeft(243))) + PieceText.render(m.token(m.mergeRight(243))));
        // merges that do not produce this vocabulary are refused
        List<String> merges = Files.readAllLines(out.resolve(BpeModel.MERGES_FILE), StandardCharsets.UTF_8);
        Files.write(out.resolve(BpeModel.MERGES_FILE), merges.subList(0, 100), StandardCharsets.UTF_8);
        CorpusFormatException e = assertThrows(CorpusFormatException.class, () -> BpeModel.open(c, new Configuration()));
        assertTrue(e.getMessage().contains("bpe-merges.txt: tokens: expected the 500 tokens of vocab.txt"), e.getMessage());
    }

    @Test
    void separateFilesWithCjkEmojiAndUnseenCharacters() throws IOException {
        StringBuilder train = new StringBuilder();
        for (int k = 0; k < 3; k++) for (String l : BpeTestText.MULTILINGUAL) train.append(l).append('\n');
        String valid = " देवनागरी और 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 unseen\r\n\n \u0001\u0002 control\n";
        String test = " 東京 😀 no final newline";
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Files.writeString(dir.resolve("train.txt"), train);
        Files.writeString(dir.resolve("valid.txt"), valid);
        Files.writeString(dir.resolve("test.txt"), test);
        Path out = tmp.resolve("multi");
        PrepareJob.run(jsc, new PrepareOptions().tokenizer("bpe").output(out.toString()).vocabSize(300)
                .splits(dir.resolve("train.txt").toString(), dir.resolve("valid.txt").toString(),
                        dir.resolve("test.txt").toString()).partitions(2));
        Corpus c = Corpus.open(out.toString());
        assertEquals(train.toString(), decode(c, "train"));
        assertEquals(valid, decode(c, "valid"));
        assertEquals(test + "\n", decode(c, "test")); // a last line without '\n' still ends with the newline token
        assertAsReference(c, train.toString(), valid, test, 300);
        List<String> vocab = new ArrayList<>(Files.readAllLines(out.resolve("vocab.txt"), StandardCharsets.UTF_8));
        assertEquals(300, vocab.size());
        // whole CJK characters (3 bytes) were learned as tokens; partial ones show as \xHH escapes
        assertTrue(vocab.stream().anyMatch(t -> t.codePoints().anyMatch(cp -> cp >= 0x3000 && cp != 0x2581)), "CJK merges");
        assertTrue(vocab.stream().anyMatch(t -> t.matches("\\\\x[EF][0-9A-F]\\\\x[89AB][0-9A-F]")), "partial characters");
    }
}
