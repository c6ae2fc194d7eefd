package sigmoe.testutil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.CRC32;
import sigmoe.data.EmbeddedCorpus;
import sigmoe.data.Manifest;
import sigmoe.data.ShardHeader;
import sigmoe.data.Vocabulary;

/**
 * Small prepared corpora for trainer tests, written directly in the formats.md §1 layout (no Spark): a byte-level
 * corpus from the first bytes of the embedded Moby-Dick.
 */
public final class TestCorpora {
    private TestCorpora() {}

    public static byte[] mobyDickBytes(int n) throws IOException {
        try (InputStream in = EmbeddedCorpus.openMobyDick()) {
            return in.readNBytes(n);
        }
    }

    /** Byte-level corpus: train/valid/test = consecutive ranges of Moby-Dick of the given sizes. */
    public static Path byteCorpus(Path dir, int train, int valid, int test) throws IOException {
        byte[] all = mobyDickBytes(train + valid + test);
        TreeSet<Integer> seen = new TreeSet<>();
        for (byte b : all) seen.add(b & 0xFF);
        int[] values = seen.stream().mapToInt(Integer::intValue).toArray();
        int[] idOf = new int[256];
        for (int i = 0; i < values.length; i++) idOf[values[i]] = i;
        Files.createDirectories(dir);
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        int off = 0;
        String[] names = {"train", "valid", "test"};
        int[] sizes = {train, valid, test};
        for (int s = 0; s < 3; s++) {
            int[] ids = new int[sizes[s]];
            for (int i = 0; i < ids.length; i++) ids[i] = idOf[all[off + i] & 0xFF];
            off += sizes[s];
            String file = names[s] + "-00000.bin";
            long crc = writeShard(dir.resolve(file), ids, values.length);
            splits.put(names[s], new Manifest.Split(ids.length, List.of(new Manifest.ShardEntry(file, ids.length, crc)), -1));
        }
        Files.write(dir.resolve("vocab.txt"), Vocabulary.ofBytes(values).toFileBytes());
        Files.write(dir.resolve("manifest.json"), new Manifest("byte", Map.of(), values.length, splits).toJson());
        return dir;
    }

    static long writeShard(Path file, int[] ids, int vocab) throws IOException {
        int bpt = ShardHeader.bytesPerToken(vocab);
        ByteBuffer payload = ByteBuffer.allocate(ids.length * bpt).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            if (bpt == 2) payload.putShort((short) id); else payload.putInt(id);
        }
        CRC32 crc = new CRC32();
        crc.update(payload.array());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new ShardHeader(bpt, ids.length, vocab, crc.getValue()).encode());
        out.write(payload.array());
        Files.write(file, out.toByteArray());
        return crc.getValue();
    }
}
