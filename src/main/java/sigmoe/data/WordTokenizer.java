package sigmoe.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Word-level tokenization with the WikiText-103 / Transformer-XL conventions: a line is split on whitespace
 * (Python's {@code str.split()} set, so that results match the reference tooling), and {@code <eos>} is
 * appended to every line, empty lines included.
 *
 * <p>Vocabulary, learned from the train split only: id 0 is {@code <eos>}, id 1 is {@code <unk>} (both always
 * present, at fixed ids, as Transformer-XL puts its specials first), then every other train word with at
 * least {@code minCount} occurrences, by descending count, ties by the word's UTF-8 bytes; {@code maxVocab}
 * (counting the two specials) cuts the tail. Every other word, and the literal text {@code <unk>} (WikiText
 * already contains it), is encoded as {@code <unk>}; the literal text {@code <eos>} is encoded as {@code <eos>}.
 */
public final class WordTokenizer implements TextTokenizer {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "word";
    public static final int EOS_ID = 0, UNK_ID = 1;

    private final int minCount;
    private final int maxVocab;

    /**
     * @param minCount words seen fewer times in train become {@code <unk>} (>= 1)
     * @param maxVocab largest vocabulary size including the two specials; 0 for no limit
     */
    public WordTokenizer(int minCount, int maxVocab) {
        if (minCount < 1) throw new IllegalArgumentException("min count must be >= 1, got " + minCount);
        if (maxVocab != 0 && maxVocab < 2) throw new IllegalArgumentException("max vocab must be >= 2, got " + maxVocab);
        this.minCount = minCount;
        this.maxVocab = maxVocab;
    }

    @Override
    public String kind() {
        return KIND;
    }

    /**
     * Python's whitespace: the characters {@code str.split()} and {@code str.splitlines()} break on
     * (ASCII blanks and controls 0x1c-0x1f, NEL, NBSP, the Unicode space separators, LS and PS).
     */
    public static boolean isSpace(char c) {
        if (c <= ' ') return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
        if (c < 0x85) return false;
        return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029
                || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** Calls {@code f} with each whitespace-separated word of a line, in order. */
    public static void words(String line, java.util.function.Consumer<String> f) {
        int n = line.length(), i = 0;
        while (i < n) {
            while (i < n && isSpace(line.charAt(i))) i++;
            int s = i;
            while (i < n && !isSpace(line.charAt(i))) i++;
            if (i > s) f.accept(line.substring(s, i));
        }
    }

    @Override
    public void count(String line, UnitCounts counts) {
        words(line, counts::add);
    }

    @Override
    public TextEncoder fit(UnitCounts trainCounts) {
        List<Map.Entry<String, Long>> kept = new ArrayList<>();
        trainCounts.forEach((w, c) -> {
            if (c >= minCount && !w.equals(Vocabulary.EOS) && !w.equals(Vocabulary.UNK)) kept.add(Map.entry(w, c));
        });
        kept.sort((a, b) -> {
            int byCount = Long.compare(b.getValue(), a.getValue());
            return byCount != 0 ? byCount : compareUtf8(a.getKey(), b.getKey());
        });
        int limit = maxVocab == 0 ? Integer.MAX_VALUE - 2 : maxVocab - 2;
        List<String> tokens = new ArrayList<>(Math.min(kept.size(), limit) + 2);
        tokens.add(Vocabulary.EOS);
        tokens.add(Vocabulary.UNK);
        for (int i = 0; i < kept.size() && i < limit; i++) tokens.add(kept.get(i).getKey());
        return new Encoder(Vocabulary.ofTokens(tokens), minCount, maxVocab);
    }

    /** Order of the strings' UTF-8 bytes (unsigned), which is Unicode code point order. */
    static int compareUtf8(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static final class Encoder implements TextEncoder {
        private static final long serialVersionUID = 1L;
        private final Vocabulary vocab;
        private final HashMap<String, Integer> ids;
        private final int minCount, maxVocab;

        Encoder(Vocabulary vocab, int minCount, int maxVocab) {
            this.vocab = vocab;
            this.minCount = minCount;
            this.maxVocab = maxVocab;
            ids = new HashMap<>(vocab.size() * 2);
            for (int i = 0; i < vocab.size(); i++) ids.put(vocab.token(i), i);
        }

        @Override
        public Vocabulary vocabulary() {
            return vocab;
        }

        @Override
        public int encode(String line, IntConsumer out) {
            int[] unk = {0};
            words(line, w -> {
                int id = ids.getOrDefault(w, UNK_ID);
                if (id == UNK_ID) unk[0]++;
                out.accept(id);
            });
            out.accept(EOS_ID);
            return unk[0];
        }

        @Override
        public Map<String, Object> manifestParams() {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("eos", Vocabulary.EOS);
            p.put("eos_id", EOS_ID);
            p.put("unk", Vocabulary.UNK);
            p.put("unk_id", UNK_ID);
            p.put("min_count", minCount);
            p.put("max_vocab", maxVocab);
            p.put("split", "python-whitespace");
            return p;
        }
    }
}
