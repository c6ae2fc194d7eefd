package sigmoe.data.bpe;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The text form of a BPE token (a byte string) in {@code vocab.txt} and {@code bpe-merges.txt}: readable where
 * the bytes are readable text, escaped where they are not, and a bijection so that both files can be parsed back
 * to the exact bytes:
 * <ul>
 *   <li>the space byte 0x20 is written as U+2581 ▁ (SentencePiece's convention; it also keeps the merges file's
 *       single separating space unambiguous);</li>
 *   <li>a backslash is written as two backslashes;</li>
 *   <li>{@code \xHH} (upper-case hex) stands for one byte: used for bytes that are not part of a complete, valid
 *       UTF-8 sequence inside the token (byte-fallback tokens, partial characters), and for the UTF-8 bytes of
 *       characters that would be invisible or break lines: C0 and C1 controls, DEL, U+2028, U+2029, and a
 *       literal U+2581 (which would otherwise read back as a space);</li>
 *   <li>every other character is itself.</li>
 * </ul>
 * Every byte string has exactly one text form; {@link #parse} refuses any other spelling.
 */
public final class PieceText {
    private PieceText() {}

    public static final char SPACE_MARK = '\u2581';
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The text form of a token's bytes. */
    public static String render(byte[] b) {
        StringBuilder s = new StringBuilder(b.length + 8);
        int i = 0;
        while (i < b.length) {
            int n = utf8Length(b, i);
            if (n == 0) {
                escape(s, b[i]);
                i++;
                continue;
            }
            int cp = decode(b, i, n);
            if (cp == ' ') s.append(SPACE_MARK);
            else if (cp == '\\') s.append("\\\\");
            else if (needsEscape(cp)) for (int k = 0; k < n; k++) escape(s, b[i + k]);
            else s.appendCodePoint(cp);
            i += n;
        }
        return s.toString();
    }

    /**
     * The bytes of a text form.
     *
     * @throws IllegalArgumentException when {@code text} is not the text form of any byte string
     */
    public static byte[] parse(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 4);
        for (int i = 0; i < text.length(); ) {
            char c = text.charAt(i);
            if (c == SPACE_MARK) {
                out.write(' ');
                i++;
            } else if (c == '\\') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
                    out.write('\\');
                    i += 2;
                } else if (i + 3 < text.length() && text.charAt(i + 1) == 'x' && hex(text.charAt(i + 2)) >= 0
                        && hex(text.charAt(i + 3)) >= 0) {
                    out.write(hex(text.charAt(i + 2)) * 16 + hex(text.charAt(i + 3)));
                    i += 4;
                } else {
                    throw new IllegalArgumentException("bad escape at character " + i + " (only \\\\ and \\xHH exist)");
                }
            } else {
                int cp = text.codePointAt(i);
                if (Character.isSurrogate(c) && Character.charCount(cp) == 1) {
                    throw new IllegalArgumentException("unpaired surrogate at character " + i);
                }
                int n = Character.charCount(cp);
                out.writeBytes(text.substring(i, i + n).getBytes(StandardCharsets.UTF_8));
                i += n;
            }
        }
        byte[] b = out.toByteArray();
        if (!render(b).equals(text)) {
            throw new IllegalArgumentException("not in canonical form (expected \"" + render(b) + "\")");
        }
        return b;
    }

    private static boolean needsEscape(int cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == SPACE_MARK;
    }

    private static void escape(StringBuilder s, byte b) {
        s.append('\\').append('x').append(HEX[(b >> 4) & 15]).append(HEX[b & 15]);
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /**
     * Length of the well-formed UTF-8 sequence starting at {@code b[i]} (1 to 4), or 0 when there is none
     * (stray continuation byte, truncated or overlong sequence, surrogate, above U+10FFFF): the Unicode
     * "well-formed UTF-8 byte sequences" table.
     */
    static int utf8Length(byte[] b, int i) {
        int c = b[i] & 0xff;
        if (c < 0x80) return 1;
        int n;
        int lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else return 0;
        if (i + n > b.length) return 0;
        int c1 = b[i + 1] & 0xff;
        if (c1 < lo || c1 > hi) return 0;
        for (int k = 2; k < n; k++) if ((b[i + k] & 0xC0) != 0x80) return 0;
        return n;
    }

    private static int decode(byte[] b, int i, int n) {
        int c = b[i] & 0xff;
        if (n == 1) return c;
        int cp = c & (0xFF >> (n + 1));
        for (int k = 1; k < n; k++) cp = (cp << 6) | (b[i + k] & 0x3F);
        return cp;
    }
}
