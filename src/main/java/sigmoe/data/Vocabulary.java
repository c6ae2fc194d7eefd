package sigmoe.data;

import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import sigmoe.data.bpe.PieceText;

/**
 * A corpus vocabulary, id -> token, as {@code vocab.txt} holds it (one entry per line, line number = id).
 * Text vocabularies (word, bpe) hold token strings; byte vocabularies hold the byte values of the train split
 * in ascending order (enwik8 convention), written as decimal numbers. BPE vocabularies ("pieces") hold byte
 * strings, written in {@link PieceText} form, and decode exactly to the text they were encoded from.
 */
public final class Vocabulary implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FILE = "vocab.txt";
    /** Word-level specials (formats and ids: {@link WordTokenizer}). */
    public static final String EOS = "<eos>", UNK = "<unk>";

    private final String[] tokens;   // text vocabularies
    private final int[] byteValues;  // byte vocabularies
    private final byte[][] pieces;   // bpe vocabularies: the bytes of each token (tokens holds their text form)
    private transient Map<String, Integer> index;

    private Vocabulary(String[] tokens, int[] byteValues) {
        this(tokens, byteValues, null);
    }

    private Vocabulary(String[] tokens, int[] byteValues, byte[][] pieces) {
        this.tokens = tokens;
        this.byteValues = byteValues;
        this.pieces = pieces;
    }

    /** A BPE vocabulary: distinct byte strings, id = position; vocab.txt holds their {@link PieceText} form. */
    public static Vocabulary ofPieces(List<byte[]> pieces) {
        List<String> text = new ArrayList<>(pieces.size());
        for (byte[] p : pieces) text.add(PieceText.render(p));
        Vocabulary v = ofTokens(text);
        byte[][] b = new byte[pieces.size()][];
        for (int i = 0; i < b.length; i++) b[i] = pieces.get(i).clone();
        return new Vocabulary(v.tokens, null, b);
    }

    /** Parses the vocab.txt of a BPE corpus (token text forms, see {@link PieceText}). */
    public static Vocabulary parsePieces(byte[] content, String file) throws CorpusFormatException {
        Vocabulary v = parse(content, false, file);
        byte[][] b = new byte[v.size()][];
        for (int i = 0; i < b.length; i++) {
            try {
                b[i] = PieceText.parse(v.tokens[i]);
            } catch (IllegalArgumentException e) {
                throw CorpusFormatException.mismatch(file, "line " + (i + 1), "a BPE token in text form",
                        "\"" + v.tokens[i] + "\": " + e.getMessage(), null);
            }
        }
        return new Vocabulary(v.tokens, null, b);
    }

    /** Whether this is a BPE vocabulary, whose tokens are byte strings ({@link #pieceBytes}). */
    public boolean isPieces() {
        return pieces != null;
    }

    /** The bytes of a token of a BPE vocabulary (a copy). */
    public byte[] pieceBytes(int id) {
        if (pieces == null) throw new IllegalStateException("not a BPE vocabulary");
        return pieces[id].clone();
    }

    /** The bytes of a run of ids of a BPE vocabulary: exactly the text they encode. */
    public byte[] decodeBytes(int[] ids, int off, int len) {
        if (pieces == null) throw new IllegalStateException("not a BPE vocabulary");
        ByteArrayOutputStream b = new ByteArrayOutputStream(len * 4);
        for (int i = off; i < off + len; i++) b.writeBytes(pieces[ids[i]]);
        return b.toByteArray();
    }

    /** A text vocabulary; tokens must be distinct and contain no line break. */
    public static Vocabulary ofTokens(List<String> tokens) {
        String[] t = tokens.toArray(new String[0]);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < t.length; i++) {
            if (t[i].indexOf('\n') >= 0 || t[i].indexOf('\r') >= 0) {
                throw new IllegalArgumentException("token " + i + " contains a line break");
            }
            if (seen.put(t[i], i) != null) throw new IllegalArgumentException("duplicate token \"" + t[i] + "\"");
        }
        Vocabulary v = new Vocabulary(t, null);
        v.index = seen;
        return v;
    }

    /** A byte vocabulary: strictly ascending values in 0..255. */
    public static Vocabulary ofBytes(int[] values) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 255 || (i > 0 && values[i] <= values[i - 1])) {
                throw new IllegalArgumentException("byte vocabulary must be ascending values in 0..255: " + Arrays.toString(values));
            }
        }
        return new Vocabulary(null, values.clone());
    }

    public boolean isBytes() {
        return byteValues != null;
    }

    public int size() {
        return isBytes() ? byteValues.length : tokens.length;
    }

    /** The token of an id: the string for text vocabularies, the decimal byte value for byte vocabularies. */
    public String token(int id) {
        return isBytes() ? Integer.toString(byteValues[id]) : tokens[id];
    }

    /** The byte value of an id of a byte vocabulary. */
    public int byteValue(int id) {
        if (!isBytes()) throw new IllegalStateException("not a byte vocabulary");
        return byteValues[id];
    }

    /** The id of a token of a text vocabulary, or -1 when it is not in the vocabulary. */
    public int id(String token) {
        if (isBytes()) throw new IllegalStateException("a byte vocabulary has no string tokens");
        if (index == null) {
            Map<String, Integer> m = new HashMap<>(tokens.length * 2);
            for (int i = 0; i < tokens.length; i++) m.put(tokens[i], i);
            index = m;
        }
        return index.getOrDefault(token, -1);
    }

    /** {@code vocab.txt}: one token (or decimal byte value) per line, each line ended by '\n'. */
    public byte[] toFileBytes() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < size(); i++) s.append(token(i)).append('\n');
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Parses {@code vocab.txt}; {@code bytes} selects the byte-vocabulary form. {@code file} names it in errors.
     * A final line without '\n' is accepted; the entry count is checked by the caller against the manifest.
     */
    public static Vocabulary parse(byte[] content, boolean bytes, String file) throws CorpusFormatException {
        String text = new String(content, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines.add(text.substring(start, i));
                start = i + 1;
            }
        }
        if (start < text.length()) lines.add(text.substring(start));
        if (!bytes) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < lines.size(); i++) {
                Integer prev = seen.put(lines.get(i), i);
                if (prev != null) {
                    throw CorpusFormatException.mismatch(file, "line " + (i + 1), "a token not seen before",
                            "\"" + lines.get(i) + "\", already on line " + (prev + 1), null);
                }
            }
            Vocabulary v = new Vocabulary(lines.toArray(new String[0]), null);
            v.index = seen;
            return v;
        }
        int[] values = new int[lines.size()];
        for (int i = 0; i < values.length; i++) {
            String l = lines.get(i);
            int v = l.matches("[0-9]{1,3}") ? Integer.parseInt(l) : -1;
            if (v < 0 || v > 255 || (i > 0 && v <= values[i - 1])) {
                throw CorpusFormatException.mismatch(file, "line " + (i + 1),
                        "a byte value in 0..255 above the previous line's", "\"" + l + "\"", null);
            }
            values[i] = v;
        }
        return new Vocabulary(null, values);
    }

    /**
     * Text for a run of ids, for samples and debugging: word vocabularies join tokens with spaces and turn
     * {@code <eos>} into a line break; byte vocabularies decode the bytes as UTF-8 (invalid sequences replaced).
     * BPE vocabularies concatenate the tokens' bytes: exactly the encoded text (line breaks included), except that
     * a run cut inside a multi-byte character shows U+FFFD for the partial character.
     */
    public String decode(int[] ids, int off, int len) {
        if (pieces != null) return new String(decodeBytes(ids, off, len), StandardCharsets.UTF_8);
        if (isBytes()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream(len);
            for (int i = off; i < off + len; i++) b.write(byteValues[ids[i]]);
            return b.toString(StandardCharsets.UTF_8);
        }
        StringBuilder s = new StringBuilder();
        boolean lineStart = true;
        for (int i = off; i < off + len; i++) {
            String t = tokens[ids[i]];
            if (t.equals(EOS)) {
                s.append('\n');
                lineStart = true;
            } else {
                if (!lineStart) s.append(' ');
                s.append(t);
                lineStart = false;
            }
        }
        return s.toString();
    }
}
