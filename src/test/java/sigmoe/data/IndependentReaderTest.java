package sigmoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The contract test of formats.md §1: the embedded corpus is prepared by the job, then read back with plain
 * java.nio and a JSON parser following only the spec (none of the project's reading classes), and the ids are
 * compared with an independent re-tokenization of the raw text (Java's Unicode whitespace, <eos> per line,
 * 90/5/5 by line index, vocabulary lookup with <unk>). The project's reader must agree as well.
 */
class IndependentReaderTest {
    @TempDir
    Path tmp;

    @Test
    void embeddedCorpusMatchesSpecAndIndependentTokenization() throws Exception {
        Path text = EmbeddedCorpus.mobyDickFile(tmp.resolve("raw"));
        assertEquals(EmbeddedCorpus.MOBY_DICK_BYTES, Files.size(text));
        Path out = tmp.resolve("corpus");
        JavaSparkContext jsc = TestCorpora.spark("local[2]");
        try {
            PrepareJob.run(jsc, new PrepareOptions().tokenizer("word").input(text.toString()).output(out.toString())
                    .shardTokens(100_000).partitions(3));
        } finally {
            jsc.stop();
        }

        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals("sgmoe-shards-1", m.get("format").asText());
        assertEquals("word", m.get("tokenizer").get("kind").asText());
        int vocabSize = m.get("vocab_size").asInt();
        List<String> vocab = Files.readAllLines(out.resolve("vocab.txt"), StandardCharsets.UTF_8);
        assertEquals(vocabSize, vocab.size());
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i), i);
        int unk = ids.get("<unk>"), eos = ids.get("<eos>");

        // independent tokenization of the raw text
        String raw = Files.readString(text, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(raw.split("\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        int n = lines.size(), trainEnd = (int) Math.floor(n * 0.9), validEnd = trainEnd + (int) Math.floor(n * 0.05);
        int[][] bounds = {{0, trainEnd}, {trainEnd, validEnd}, {validEnd, n}};
        String[] names = {"train", "valid", "test"};
        Corpus project = Corpus.open(out.toString());
        for (int s = 0; s < 3; s++) {
            List<Integer> expected = new ArrayList<>();
            for (int l = bounds[s][0]; l < bounds[s][1]; l++) {
                for (String w : lines.get(l).split("(?U)\\s+")) if (!w.isEmpty()) expected.add(ids.getOrDefault(w, unk));
                expected.add(eos);
            }
            int[] actual = readSplit(out, m.get("splits").get(names[s]), vocabSize);
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), actual, names[s]);
            assertArrayEquals(actual, TestCorpora.ids(project.split(names[s])), "project reader, " + names[s]);
        }
        assertTrue(m.get("splits").get("train").get("shards").size() == 3, "207,547 train tokens in 100k shards");
    }

    /** Reads a split following formats.md §1 alone: header fields, CRC-32, little-endian ids. */
    private static int[] readSplit(Path dir, JsonNode split, int vocabSize) throws Exception {
        int[] all = new int[split.get("tokens").asInt()];
        int pos = 0;
        for (JsonNode shard : split.get("shards")) {
            Path f = dir.resolve(shard.get("file").asText());
            ByteBuffer b;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            }
            byte[] magic = new byte[8];
            b.get(0, magic);
            assertEquals("SGMOETOK", new String(magic, StandardCharsets.US_ASCII));
            assertEquals(1, b.getInt(8));
            int width = b.getInt(12);
            assertEquals(vocabSize <= 65536 ? 2 : 4, width);
            long tokens = b.getLong(16);
            assertEquals(shard.get("tokens").asLong(), tokens);
            assertEquals(vocabSize, b.getInt(24));
            for (int i = 32; i < 64; i++) assertEquals(0, b.get(i), "padding byte " + i);
            assertEquals(64 + tokens * width, b.capacity());
            CRC32 crc = new CRC32();
            crc.update(b.slice(64, (int) (tokens * width)));
            assertEquals(Integer.toUnsignedLong(b.getInt(28)), crc.getValue());
            assertEquals(Long.parseLong(shard.get("crc32").asText(), 16), crc.getValue());
            for (int i = 0; i < tokens; i++) {
                all[pos++] = width == 2 ? Short.toUnsignedInt(b.getShort(64 + 2 * i)) : b.getInt(64 + 4 * i);
            }
        }
        assertEquals(all.length, pos);
        return all;
    }
}
