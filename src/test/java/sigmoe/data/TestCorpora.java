package sigmoe.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.apache.spark.api.java.JavaSparkContext;

import sigmoe.cli.SparkContexts;

/** Test helpers: small corpora written by hand, Spark contexts, file utilities. */
final class TestCorpora {
    private TestCorpora() {}

    /** A Spark context as the commands create it, for one test class. */
    static JavaSparkContext spark(String master) {
        return SparkContexts.start(master, "sigmoe-test");
    }

    /** Writes a text corpus (formats.md §1) by hand: vocab.txt, manifest.json and one shard per id array. */
    static Path writeWordCorpus(Path dir, List<String> vocab, Map<String, int[][]> splits) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(Vocabulary.FILE), Vocabulary.ofTokens(vocab).toFileBytes());
        writeShardsAndManifest(dir, "word", vocab.size(), splits);
        return dir;
    }

    static void writeShardsAndManifest(Path dir, String kind, int vocabSize, Map<String, int[][]> splits)
            throws IOException {
        Map<String, Manifest.Split> ms = new LinkedHashMap<>();
        int b = ShardHeader.bytesPerToken(vocabSize);
        for (Map.Entry<String, int[][]> e : splits.entrySet()) {
            List<Manifest.ShardEntry> shards = new ArrayList<>();
            long total = 0;
            for (int k = 0; k < e.getValue().length; k++) {
                int[] ids = e.getValue()[k];
                String name = String.format("%s-%05d.bin", e.getKey(), k);
                byte[] payload = payload(ids, b);
                CRC32 crc = new CRC32();
                crc.update(payload);
                byte[] header = new ShardHeader(b, ids.length, vocabSize, crc.getValue()).encode();
                byte[] file = new byte[header.length + payload.length];
                System.arraycopy(header, 0, file, 0, header.length);
                System.arraycopy(payload, 0, file, header.length, payload.length);
                Files.write(dir.resolve(name), file);
                shards.add(new Manifest.ShardEntry(name, ids.length, crc.getValue()));
                total += ids.length;
            }
            ms.put(e.getKey(), new Manifest.Split(total, shards, -1));
        }
        Files.write(dir.resolve(Manifest.FILE), new Manifest(kind, Map.of(), vocabSize, ms).toJson());
    }

    static byte[] payload(int[] ids, int b) {
        ByteBuffer bb = ByteBuffer.allocate(ids.length * b).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            if (b == 2) bb.putShort((short) id);
            else bb.putInt(id);
        }
        return bb.array();
    }

    static int[] ids(Tokens t) {
        int[] a = new int[Math.toIntExact(t.size())];
        t.read(0, a, 0, a.length);
        return a;
    }

    static int[] ids(Path corpus, String split) throws IOException {
        return ids(Corpus.open(corpus.toString()).split(split));
    }

    static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Every file under dir (relative path -> bytes), for byte-identity comparisons. */
    static Map<String, byte[]> tree(Path dir) throws IOException {
        Map<String, byte[]> m = new java.util.TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return m;
    }

    /** Names in a directory (hidden ones included): checks that nothing temporary was left behind. */
    static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
