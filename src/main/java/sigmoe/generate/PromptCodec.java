package sigmoe.generate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sigmoe.data.ByteTokenizer;
import sigmoe.data.Vocabulary;
import sigmoe.data.WordTokenizer;

/**
 * Text to token ids and back with a prepared corpus's tokenizer, for prompts and generated text.
 * <ul>
 *   <li>word: as the prepare job does (whitespace-separated words, {@code <eos>} after every line), except that the
 *       prompt's last line gets no {@code <eos>} unless the prompt ends with a line break, so the model continues
 *       it; words outside the vocabulary become {@code <unk>}. Decoding joins words with spaces and turns
 *       {@code <eos>} into a line break.</li>
 *   <li>byte: the UTF-8 bytes, each mapped through the byte vocabulary; a byte the corpus never saw has no id and is
 *       an error naming it. Decoding turns the bytes back into UTF-8 text (invalid sequences replaced).</li>
 * </ul>
 */
public final class PromptCodec {
    private final String kind;
    private final Vocabulary vocab;
    private final int[] byteIds; // byte value -> id, -1 when absent (byte vocabularies)

    public PromptCodec(String kind, Vocabulary vocab) {
        this.kind = kind;
        this.vocab = vocab;
        switch (kind) {
            case ByteTokenizer.KIND -> {
                if (!vocab.isBytes()) throw new IllegalArgumentException("a byte tokenizer needs a byte vocabulary");
                byteIds = ByteTokenizer.idTable(vocab);
            }
            case WordTokenizer.KIND -> {
                if (vocab.isBytes()) throw new IllegalArgumentException("a word tokenizer needs a word vocabulary");
                byteIds = null;
            }
            default -> throw new IllegalArgumentException("generation supports the word and byte tokenizers, not \"" + kind + "\"");
        }
    }

    public String kind() { return kind; }

    /** An encoded prompt and the distinct words that became {@code <unk>} (word level; empty for bytes). */
    public record Encoded(int[] ids, List<String> unknown) {}

    /** The prompt as token ids; throws IllegalArgumentException with a one-sentence reason when it cannot. */
    public Encoded encode(String text) {
        return kind.equals(ByteTokenizer.KIND) ? new Encoded(encodeBytes(text), List.of()) : encodeWords(text);
    }

    /** Text of {@code len} ids from {@code off}. */
    public String decode(int[] ids, int off, int len) {
        return vocab.decode(ids, off, len);
    }

    private Encoded encodeWords(String text) {
        int eos = vocab.id(Vocabulary.EOS), unk = vocab.id(Vocabulary.UNK);
        List<Integer> ids = new ArrayList<>();
        java.util.Set<String> unknown = new java.util.LinkedHashSet<>();
        String[] lines = text.split("\n", -1);
        for (int l = 0; l < lines.length; l++) {
            WordTokenizer.words(lines[l], w -> {
                int id = vocab.id(w);
                if (id < 0) {
                    if (unk < 0) throw new IllegalArgumentException("the word \"" + w + "\" is not in the vocabulary, which has no "
                            + Vocabulary.UNK + " to stand for it");
                    id = unk;
                    unknown.add(w);
                }
                ids.add(id);
            });
            if (l < lines.length - 1) {
                if (eos < 0) throw new IllegalArgumentException("the prompt has a line break but the vocabulary has no " + Vocabulary.EOS);
                ids.add(eos);
            }
        }
        return new Encoded(ids.stream().mapToInt(Integer::intValue).toArray(), new ArrayList<>(unknown));
    }

    private int[] encodeBytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        Map<Integer, String> missing = new LinkedHashMap<>(); // byte value -> the character it comes from
        int pos = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            for (byte x : ch.getBytes(StandardCharsets.UTF_8)) {
                int v = x & 0xFF, id = byteIds[v];
                if (id < 0) missing.putIfAbsent(v, ch);
                ids[pos++] = id;
            }
            i += Character.charCount(cp);
        }
        if (!missing.isEmpty()) {
            List<String> names = new ArrayList<>();
            missing.forEach((v, ch) -> names.add(String.format(Locale.ROOT, "0x%02X (in %s)", v, describe(ch))));
            throw new IllegalArgumentException("the prompt has " + (missing.size() == 1 ? "a byte" : missing.size() + " bytes")
                    + " that the corpus's byte vocabulary lacks (the train split never contains them): " + String.join(", ", names)
                    + "; rephrase the prompt without these characters");
        }
        return ids;
    }

    private static String describe(String ch) {
        int cp = ch.codePointAt(0);
        String u = String.format(Locale.ROOT, "U+%04X", cp);
        return Character.isISOControl(cp) || Character.isWhitespace(cp) ? u : "'" + ch + "' " + u;
    }
}
