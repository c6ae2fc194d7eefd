package sigmoe.data;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One opened token shard: its ids, memory-mapped when the file is local and read into the heap otherwise,
 * held as segments of 2^28 tokens so that no buffer exceeds 1 GiB whatever the shard size.
 */
final class Shard {
    static final int SEG_SHIFT = 28;
    static final long SEG_MASK = (1L << SEG_SHIFT) - 1;

    final String file;
    final long tokens;
    final int bytesPerToken;
    private final ByteBuffer[] segments;

    private Shard(String file, long tokens, int bytesPerToken, ByteBuffer[] segments) {
        this.file = file;
        this.tokens = tokens;
        this.bytesPerToken = bytesPerToken;
        this.segments = segments;
    }

    int get(long i) {
        ByteBuffer s = segments[(int) (i >>> SEG_SHIFT)];
        int o = (int) (i & SEG_MASK) * bytesPerToken;
        return bytesPerToken == 2 ? Short.toUnsignedInt(s.getShort(o)) : s.getInt(o);
    }

    /**
     * Opens a shard and checks it against its manifest entry: header fields, file length, CRC-32 in header and
     * manifest, and with {@code verify} also the payload CRC-32 and that every id is below the vocabulary size.
     * Nothing is allocated before the header's sizes agree with the actual file length.
     */
    static Shard open(FileSystem fs, Path path, Manifest.ShardEntry entry, int vocabSize, boolean verify)
            throws IOException {
        String name = path.toString();
        if (!fs.exists(path)) {
            throw new CorpusFormatException(name + ": shard listed in " + Manifest.FILE + " is missing");
        }
        long length = fs.getFileStatus(path).getLen();
        byte[] h = new byte[(int) Math.min(ShardHeader.BYTES, length)];
        try (FSDataInputStream in = fs.open(path)) {
            in.readFully(0, h);
        }
        ShardHeader hd = ShardHeader.parse(h, name);
        if (hd.vocabSize() != vocabSize) {
            throw CorpusFormatException.mismatch(name, "vocabulary size", vocabSize + " (manifest.json vocab_size)",
                    hd.vocabSize(), "shard from another corpus?");
        }
        if (hd.bytesPerToken() == 2 && vocabSize > 65536) {
            throw CorpusFormatException.mismatch(name, "bytes per token", "4 for a vocabulary of " + vocabSize, 2, null);
        }
        if (hd.tokens() != entry.tokens()) {
            throw CorpusFormatException.mismatch(name, "tokens", entry.tokens() + " (manifest.json)", hd.tokens(), null);
        }
        int b = hd.bytesPerToken();
        if (hd.tokens() > (Long.MAX_VALUE - ShardHeader.BYTES) / b
                || ShardHeader.BYTES + hd.tokens() * b != length) {
            long expected = ShardHeader.BYTES + hd.tokens() * b;
            throw CorpusFormatException.mismatch(name, "file length", expected + " bytes (64-byte header + "
                    + hd.tokens() + " tokens x " + b + " bytes)", length + " bytes",
                    length < expected ? "file truncated" : "unexpected trailing bytes");
        }
        if (hd.crc32() != entry.crc32()) {
            throw CorpusFormatException.mismatch(name, "header crc32", ShardHeader.crcHex(entry.crc32())
                    + " (manifest.json)", ShardHeader.crcHex(hd.crc32()), "shard from another corpus?");
        }
        ByteBuffer[] segs = new ByteBuffer[(int) ((hd.tokens() + SEG_MASK) >>> SEG_SHIFT)];
        File local = HadoopFs.localFile(fs, path);
        if (local != null) {
            try (FileChannel ch = FileChannel.open(local.toPath(), StandardOpenOption.READ)) {
                for (int s = 0; s < segs.length; s++) {
                    long first = (long) s << SEG_SHIFT;
                    long n = Math.min(1L << SEG_SHIFT, hd.tokens() - first);
                    segs[s] = ch.map(FileChannel.MapMode.READ_ONLY, ShardHeader.BYTES + first * b, n * b)
                            .order(ByteOrder.LITTLE_ENDIAN);
                }
            }
        } else {
            try (FSDataInputStream in = fs.open(path)) {
                HadoopFs.skipFully(in, ShardHeader.BYTES);
                for (int s = 0; s < segs.length; s++) {
                    long first = (long) s << SEG_SHIFT;
                    byte[] data = new byte[(int) (Math.min(1L << SEG_SHIFT, hd.tokens() - first) * b)];
                    in.readFully(data);
                    segs[s] = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                }
            }
        }
        Shard shard = new Shard(name, hd.tokens(), b, segs);
        if (verify) shard.verify(hd.crc32(), vocabSize);
        return shard;
    }

    private void verify(long expectedCrc, int vocabSize) throws CorpusFormatException {
        CRC32 crc = new CRC32();
        for (ByteBuffer s : segments) crc.update(s.duplicate().clear());
        if (crc.getValue() != expectedCrc) {
            throw CorpusFormatException.mismatch(file, "payload crc32", ShardHeader.crcHex(expectedCrc) + " (header)",
                    ShardHeader.crcHex(crc.getValue()), "payload corrupted");
        }
        for (long i = 0; i < tokens; i++) {
            int id = get(i);
            if (id < 0 || id >= vocabSize) {
                throw CorpusFormatException.mismatch(file, "token " + i, "an id below the vocabulary size " + vocabSize,
                        Integer.toUnsignedString(id), null);
            }
        }
    }
}
