package sigmoe.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sigmoe.cli.SparkContexts;
import sigmoe.data.PrepareJob;
import sigmoe.data.PrepareOptions;

/**
 * The bpe corpus (merges, vocabulary, shards, manifest) is byte-identical for local[1] and local[4] and any
 * number of input chunks, chunk and shard boundaries falling inside lines and pre-token count tables.
 */
class BpeDeterminismTest {
    @TempDir
    static Path tmp;

    @Test
    void sameBytesForAnyMasterAndPartitioning() throws IOException {
        String text = BpeTestText.mobyDick(160_000) + String.join("\n", BpeTestText.MULTILINGUAL) + "\n";
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Path dir = Files.createDirectories(tmp.resolve("in"));
        Files.write(dir.resolve("a.txt"), java.util.Arrays.copyOfRange(b, 0, 77_777));
        Files.write(dir.resolve("b.txt"), java.util.Arrays.copyOfRange(b, 77_777, b.length));

        int[][] runs = {{1, 1}, {1, 3}, {4, 4}, {4, 17}}; // {cores, partitions}
        Map<String, byte[]> first = null;
        for (int cores : new int[] {1, 4}) {
            JavaSparkContext jsc = SparkContexts.start("local[" + cores + "]", "sigmoe-test");
            try {
                for (int[] run : runs) {
                    if (run[0] != cores) continue;
                    Path out = tmp.resolve("bpe-" + run[0] + "-" + run[1]);
                    PrepareJob.run(jsc, new PrepareOptions().tokenizer("bpe").input(dir.toString()).output(out.toString())
                            .vocabSize(400).shardTokens(7_777).partitions(run[1]));
                    Map<String, byte[]> files = tree(out);
                    if (first == null) {
                        first = files;
                        assertTrue(files.size() > 8, "several shards: " + files.keySet());
                        continue;
                    }
                    assertEquals(first.keySet(), files.keySet(), out.toString());
                    for (String f : first.keySet()) assertArrayEquals(first.get(f), files.get(f), out + ": " + f);
                }
            } finally {
                jsc.stop();
            }
        }
    }

    private static Map<String, byte[]> tree(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) m.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return m;
    }
}
