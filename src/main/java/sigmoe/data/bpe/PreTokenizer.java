package sigmoe.data.bpe;

import java.util.function.Consumer;

/**
 * Splits a line into the pre-tokens BPE merges within (merges never cross a pre-token boundary), following
 * SentencePiece's defaults as the paper used them ({@code split_by_whitespace}, {@code split_digits},
 * {@code split_by_unicode_script}), but without its lossy normalization, so that decoding is exact:
 * <ul>
 *   <li>every space U+0020 starts a new pre-token and stays attached to what follows ("a  b" gives "a", " ", " b";
 *       vocab.txt shows the space as U+2581 ▁). Other whitespace (tab, NBSP, ...) is an ordinary character, as it
 *       would be after SentencePiece's normalization only if mapped to a space, which we do not do;</li>
 *   <li>every decimal digit (Unicode category Nd) is a pre-token of its own ({@code split_digits}): " 1990" gives
 *       " ", "1", "9", "9", "0";</li>
 *   <li>a pre-token does not mix Unicode scripts ({@link Character.UnicodeScript}, the JVM's Unicode tables):
 *       "whale," gives "whale", ","; Hiragana, Katakana and U+30FC count as Han (as SentencePiece does, so that
 *       Japanese words can merge); combining marks (script Inherited) stay with the character before them, except after a digit,
 *       which is always alone.</li>
 * </ul>
 * A pre-token longer than {@link #MAX_CODE_POINTS} code points is cut into pieces of that length (SentencePiece caps
 * pieces at 16 characters): BPE cost grows with the square of a pre-token's length, and a line of CJK text or
 * of punctuation could otherwise be one pre-token of any length.
 *
 * <p>No dummy-prefix space is added at the start of a line (SentencePiece's {@code add_dummy_prefix}): it would
 * make the decoding of a line depend on knowing where lines start. WikiText lines begin with a space anyway.
 */
public final class PreTokenizer {
    private PreTokenizer() {}

    /** Longest pre-token, in code points. */
    public static final int MAX_CODE_POINTS = 64;

    private static final short SPACE = 0, DIGIT = 1, INHERITED = 2, SCRIPT0 = 3;
    /** Character class of every BMP code point (the script lookup is a binary search; this is one load). */
    private static final short[] BMP = new short[0x10000];

    static {
        for (int c = 0; c < BMP.length; c++) BMP[c] = classify(c);
    }

    private static short classify(int c) {
        if (c == ' ') return SPACE;
        if (Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER) return DIGIT;
        Character.UnicodeScript s = Character.UnicodeScript.of(c);
        if (s == Character.UnicodeScript.INHERITED) return INHERITED;
        if (s == Character.UnicodeScript.HIRAGANA || s == Character.UnicodeScript.KATAKANA || c == 0x30FC) {
            s = Character.UnicodeScript.HAN;
        }
        return (short) (SCRIPT0 + s.ordinal());
    }

    private static short classOf(int c) {
        return c < BMP.length ? BMP[c] : classify(c);
    }

    /** Calls {@code out} with each pre-token of {@code line} (no line terminator), in order; they concatenate to it. */
    public static void split(String line, Consumer<String> out) {
        int n = line.length();
        int start = 0;
        short script = -1; // script of the current pre-token; -1 while it holds only a space and combining marks
        boolean digit = false; // the current pre-token is a digit
        int length = 0;        // code points in the current pre-token
        for (int i = 0; i < n; ) {
            int c = line.codePointAt(i);
            short k = classOf(c);
            boolean brk;
            if (k == SPACE || k == DIGIT) brk = true;
            else if (digit) brk = true;
            else if (k == INHERITED) brk = false;
            else brk = script >= 0 && script != k;
            if (length == MAX_CODE_POINTS) brk = true;
            if (brk && i > start) {
                out.accept(line.substring(start, i));
                start = i;
                script = -1;
                length = 0;
            }
            length++;
            digit = k == DIGIT;
            if (k >= SCRIPT0) script = k;
            i += Character.charCount(c);
        }
        if (n > start) out.accept(line.substring(start));
    }
}
