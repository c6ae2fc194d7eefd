package sigmoe.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The 64-byte header of a token shard (formats.md §1), all integers little-endian:
 * magic "SGMOETOK", u32 version = 1, u32 bytes per token (2 or 4), u64 tokens, u32 vocabulary size,
 * u32 CRC-32 of the payload, 32 bytes of zero padding.
 *
 * @param bytesPerToken 2 (uint16 ids) or 4 (uint32 ids)
 * @param tokens        number of ids in the payload
 * @param vocabSize     the corpus vocabulary size (ids are below it)
 * @param crc32         java.util.zip.CRC32 of the payload bytes, as an unsigned 32-bit value
 */
public record ShardHeader(int bytesPerToken, long tokens, long vocabSize, long crc32) {
    public static final int BYTES = 64;
    public static final int VERSION = 1;
    static final byte[] MAGIC = "SGMOETOK".getBytes(StandardCharsets.US_ASCII);

    /** The bytes per token the format prescribes for a vocabulary: uint16 when every id fits, else uint32. */
    public static int bytesPerToken(long vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    /** The header as its 64 bytes. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(bytesPerToken).putLong(tokens).putInt((int) vocabSize).putInt((int) crc32);
        return b.array(); // the remaining 32 bytes stay zero
    }

    /**
     * Parses and checks the fixed fields of a header; {@code file} names the shard in error messages.
     * Sizes are only checked for sanity here; the caller compares them with the file length and the manifest.
     */
    public static ShardHeader parse(byte[] h, String file) throws CorpusFormatException {
        if (h.length < BYTES) {
            throw CorpusFormatException.mismatch(file, "header", BYTES + " bytes", h.length + " bytes", "file truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(h, 0, BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw CorpusFormatException.mismatch(file, "magic", "\"SGMOETOK\"", printable(magic),
                    "not a sigmoe token shard");
        }
        long version = Integer.toUnsignedLong(b.getInt());
        if (version != VERSION) {
            throw CorpusFormatException.mismatch(file, "version", VERSION, version,
                    "written by an incompatible sigmoe version");
        }
        long bpt = Integer.toUnsignedLong(b.getInt());
        if (bpt != 2 && bpt != 4) {
            throw CorpusFormatException.mismatch(file, "bytes per token", "2 or 4", bpt, null);
        }
        long tokens = b.getLong();
        if (tokens < 0) {
            throw CorpusFormatException.mismatch(file, "tokens", "a u64 below 2^63", Long.toUnsignedString(tokens), null);
        }
        long vocab = Integer.toUnsignedLong(b.getInt());
        long crc = Integer.toUnsignedLong(b.getInt());
        return new ShardHeader((int) bpt, tokens, vocab, crc);
    }

    /** CRC-32 as formats.md writes it in manifest.json: 8 lowercase hex digits. */
    public static String crcHex(long crc) {
        return String.format("%08x", crc & 0xffffffffL);
    }

    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder("\"");
        for (byte x : b) {
            if (x >= 0x20 && x < 0x7f && x != '"' && x != '\\') s.append((char) x);
            else s.append(String.format("\\x%02x", x & 0xff));
        }
        return s.append('"').toString();
    }
}
