package sigmoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prepared corpus is byte-identical whatever the master (local[1], local[4]) and the input partitioning,
 * with shards small enough that shard boundaries fall inside chunks and chunk boundaries inside lines.
 */
class DeterminismTest {
    @TempDir
    static Path tmp;

    @Test
    void sameBytesForAnyMasterAndPartitioning() throws IOException {
        // the first 300 KB of Moby-Dick, over two files so that chunks also end at a file boundary
        byte[] text;
        try (InputStream in = EmbeddedCorpus.openMobyDick()) {
            text = in.readNBytes(300_000);
        }
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Files.write(dir.resolve("a.txt"), java.util.Arrays.copyOfRange(text, 0, 123_457));
        Files.write(dir.resolve("b.txt"), java.util.Arrays.copyOfRange(text, 123_457, text.length));

        int[][] runs = {{1, 1}, {1, 3}, {4, 7}, {4, 64}}; // {cores, partitions}
        Map<String, byte[]> firstWord = null, firstByte = null;
        int last = -1;
        JavaSparkContext jsc = null;
        try {
            for (int[] run : runs) {
                if (run[0] != last) {
                    if (jsc != null) jsc.stop();
                    jsc = TestCorpora.spark("local[" + run[0] + "]");
                    last = run[0];
                }
                String tag = run[0] + "-" + run[1];
                PrepareJob.run(jsc, new PrepareOptions().tokenizer("word").input(dir.toString())
                        .output(tmp.resolve("w" + tag).toString()).shardTokens(7_777).partitions(run[1]).minCount(2));
                PrepareJob.run(jsc, new PrepareOptions().tokenizer("byte").input(dir.toString())
                        .output(tmp.resolve("b" + tag).toString()).shardTokens(50_000).partitions(run[1]));
                Map<String, byte[]> w = TestCorpora.tree(tmp.resolve("w" + tag));
                Map<String, byte[]> b = TestCorpora.tree(tmp.resolve("b" + tag));
                if (firstWord == null) {
                    firstWord = w;
                    firstByte = b;
                    assertTrue(w.size() > 8, "several word shards: " + w.keySet());
                    assertTrue(b.size() > 8, "several byte shards: " + b.keySet());
                    continue;
                }
                assertSame(firstWord, w, "word " + tag);
                assertSame(firstByte, b, "byte " + tag);
            }
        } finally {
            if (jsc != null) jsc.stop();
        }
    }

    private static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual, String run) {
        assertEquals(expected.keySet(), actual.keySet(), run);
        for (String f : expected.keySet()) assertArrayEquals(expected.get(f), actual.get(f), run + ": " + f);
    }
}
