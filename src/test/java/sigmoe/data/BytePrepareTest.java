package sigmoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

/** Byte-level (enwik8-style) preparation against hand-computed ids (one local[2] context). */
class BytePrepareTest {
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

    private PrepareOptions bytes(String out) {
        return new PrepareOptions().tokenizer("byte").output(tmp.resolve(out).toString());
    }

    @Test
    void splitBytesHandComputedIds() throws IOException {
        // train "cabcab" -> vocab 97 98 99 (a b c) -> ids by rank; the 2 trailing bytes are beyond the split
        Path f = TestCorpora.write(tmp.resolve("in.txt"), "cabcab" + "ba" + "ac" + "zz");
        PrepareResult r = PrepareJob.run(jsc, bytes("b").input(f.toString()).splitBytes(6, 2, 2).partitions(4));
        Path out = tmp.resolve("b");
        assertEquals(List.of("97", "98", "99"), Files.readAllLines(out.resolve("vocab.txt")));
        assertArrayEquals(new int[] {2, 0, 1, 2, 0, 1}, TestCorpora.ids(out, "train"));
        assertArrayEquals(new int[] {1, 0}, TestCorpora.ids(out, "valid"));
        assertArrayEquals(new int[] {0, 2}, TestCorpora.ids(out, "test"));
        assertEquals(10, r.inputBytes());
        assertNull(r.unk());
        Corpus c = Corpus.open(out.toString());
        assertEquals("byte", c.tokenizerKind());
        assertEquals(-1, c.manifest().splits().get("train").unkTokens());
        assertFalse(new String(Files.readAllBytes(out.resolve("manifest.json"))).contains("unk"));
    }

    @Test
    void defaultRatiosAndFilesOfADirectoryConcatenatedInNameOrder() throws IOException {
        // 100 bytes over three files (read as 1.txt, 2.txt, 3.txt); 90/5/5 cuts inside 2.txt and 3.txt
        Path dir = tmp.resolve("parts");
        TestCorpora.write(dir.resolve("2.txt"), "b".repeat(50));
        TestCorpora.write(dir.resolve("1.txt"), "a".repeat(29) + "\n");
        TestCorpora.write(dir.resolve("3.txt"), "c".repeat(10) + "\n".repeat(10));
        TestCorpora.write(dir.resolve("_SUCCESS"), "ignored");
        TestCorpora.write(dir.resolve(".hidden"), "ignored");
        PrepareResult r = PrepareJob.run(jsc, bytes("d").input(dir.toString()).shardTokens(40).partitions(7));
        assertArrayEquals(new long[] {90, 5, 5}, r.tokens());
        assertArrayEquals(new int[] {3, 1, 1}, r.shards());
        // vocab: 10 ('\n'), 97, 98, 99 -> ids 0..3; train = 29 a + '\n', 50 b, 10 c; valid/test = newlines
        int[] train = TestCorpora.ids(tmp.resolve("d"), "train");
        assertEquals(1, train[0]);
        assertEquals(0, train[29]);
        assertEquals(2, train[30]);
        assertEquals(3, train[89]);
        assertArrayEquals(new int[5], TestCorpora.ids(tmp.resolve("d"), "valid"));
    }

    @Test
    void aByteMissingFromTrainIsNamedWithItsSplit() throws IOException {
        Path f = TestCorpora.write(tmp.resolve("in.txt"), "aaaaaaaa" + "a\u00e9" + "aa");
        PrepareException e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, bytes("x").input(f.toString()).splitBytes(8, 3, 2)));
        assertFalse(e.isUsage());
        assertTrue(e.getMessage().contains("the valid split has 2 byte value(s)")
                && e.getMessage().contains("byte 169 (0xa9) x1, 195 (0xc3) x1"), e.getMessage());
        assertEquals(List.of("in.txt"), TestCorpora.names(tmp));
    }

    @Test
    void separateSplitFilesAndByteOnlyOptions() throws IOException {
        Path tr = TestCorpora.write(tmp.resolve("tr"), "xyz"), va = TestCorpora.write(tmp.resolve("va"), "zy"),
                te = TestCorpora.write(tmp.resolve("te"), "x");
        PrepareJob.run(jsc, bytes("s").splits(tr.toString(), va.toString(), te.toString()));
        assertArrayEquals(new int[] {2, 1}, TestCorpora.ids(tmp.resolve("s"), "valid"));
        PrepareException e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, bytes("s2").splits(tr.toString(), va.toString(), te.toString()).minCount(3)));
        assertTrue(e.isUsage() && e.getMessage().contains("--min-count"));
        e = assertThrows(PrepareException.class,
                () -> PrepareJob.run(jsc, bytes("s2").input(tr.toString()).splitBytes(2, 1, 1)));
        assertTrue(e.isUsage() && e.getMessage().contains("asks for 4 bytes but the input has 3"), e.getMessage());
    }
}
