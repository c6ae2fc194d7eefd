package sigmoe.data.bpe;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference: a naive BPE written from the definition, independently of the main code, to be obviously right
 * rather than fast. Tokens are byte strings held as ISO-8859-1 strings (one char per byte), so that String order
 * is unsigned byte order. Training recounts every pair over every pre-token for every merge; encoding applies
 * every merge in rank order.
 */
final class NaiveBpe {
    static final int MAX_PRE_TOKEN = 64;

    /** A merge: two tokens. */
    record Pair(String left, String right) {}

    final List<Pair> merges = new ArrayList<>();
    final List<String> vocab = new ArrayList<>();  // id -> token
    final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, List<Integer>> cache = new HashMap<>();

    private NaiveBpe() {
        for (int b = 0; b < 256; b++) add(String.valueOf((char) b));
    }

    private void add(String token) {
        ids.put(token, vocab.size());
        vocab.add(token);
    }

    static String bytes(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    // ---- pre-tokenization, restated from the rules -------------------------------------------------------

    static Character.UnicodeScript script(int cp) {
        Character.UnicodeScript s = Character.UnicodeScript.of(cp);
        if (s == Character.UnicodeScript.HIRAGANA || s == Character.UnicodeScript.KATAKANA || cp == 0x30FC) {
            return Character.UnicodeScript.HAN;
        }
        return s;
    }

    static List<String> preTokens(String line) {
        List<String> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        for (int cp : line.codePoints().toArray()) {
            if (!cur.isEmpty() && startsNew(cur, cp)) {
                out.add(text(cur));
                cur.clear();
            }
            cur.add(cp);
        }
        if (!cur.isEmpty()) out.add(text(cur));
        return out;
    }

    private static boolean startsNew(List<Integer> cur, int cp) {
        if (cp == ' ' || Character.isDigit(cp) || Character.isDigit(cur.get(cur.size() - 1))) return true;
        if (cur.size() == MAX_PRE_TOKEN) return true;
        if (script(cp) == Character.UnicodeScript.INHERITED) return false;
        for (int c : cur) {
            if (c == ' ' || script(c) == Character.UnicodeScript.INHERITED) continue;
            return script(c) != script(cp); // the first scripted character of the pre-token sets its script
        }
        return false;
    }

    private static String text(List<Integer> cps) {
        StringBuilder s = new StringBuilder();
        for (int c : cps) s.appendCodePoint(c);
        return s.toString();
    }

    /** Pre-token counts of some lines. */
    static Map<String, Long> count(List<String> lines) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String l : lines) for (String p : preTokens(l)) m.merge(p, 1L, Long::sum);
        return m;
    }

    // ---- training ----------------------------------------------------------------------------------------

    static NaiveBpe train(Map<String, Long> preTokenCounts, int vocabSize) {
        NaiveBpe bpe = new NaiveBpe();
        List<List<String>> words = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        preTokenCounts.forEach((w, c) -> {
            List<String> syms = new ArrayList<>();
            for (char b : bytes(w).toCharArray()) syms.add(String.valueOf(b));
            words.add(syms);
            counts.add(c);
        });
        while (bpe.vocab.size() < vocabSize) {
            Map<Pair, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(new Pair(s.get(i), s.get(i + 1)), counts.get(w), Long::sum);
            }
            Pair best = null;
            for (Map.Entry<Pair, Long> e : pairs.entrySet()) {
                if (bpe.ids.containsKey(e.getKey().left() + e.getKey().right())) continue; // would duplicate a token
                if (better(e.getKey(), e.getValue(), best, pairs)) best = e.getKey();
            }
            if (best == null) break;
            bpe.merges.add(best);
            bpe.add(best.left() + best.right());
            for (List<String> s : words) mergeAll(s, best);
        }
        return bpe;
    }

    /** Higher count first, then smaller left bytes, then smaller right bytes. */
    private static boolean better(Pair p, long c, Pair best, Map<Pair, Long> pairs) {
        if (best == null) return true;
        long b = pairs.get(best);
        if (c != b) return c > b;
        int l = p.left().compareTo(best.left());
        return l != 0 ? l < 0 : p.right().compareTo(best.right()) < 0;
    }

    /** Replaces every occurrence of the pair, scanning left to right. */
    private static void mergeAll(List<String> s, Pair p) {
        for (int i = 0; i + 1 < s.size(); i++) {
            if (s.get(i).equals(p.left()) && s.get(i + 1).equals(p.right())) {
                s.set(i, p.left() + p.right());
                s.remove(i + 1);
            }
        }
    }

    // ---- encoding ----------------------------------------------------------------------------------------

    List<Integer> encodePreToken(String preToken) {
        return cache.computeIfAbsent(preToken, p -> {
            List<String> syms = new ArrayList<>();
            for (char b : bytes(p).toCharArray()) syms.add(String.valueOf(b));
            for (Pair m : merges) mergeAll(syms, m);
            List<Integer> out = new ArrayList<>();
            for (String t : syms) out.add(ids.get(t));
            return out;
        });
    }

    /** Ids of lines: each line's pre-tokens, then the newline byte. */
    int[] encodeLines(List<String> lines) {
        List<Integer> out = new ArrayList<>();
        for (String l : lines) {
            for (String p : preTokens(l)) out.addAll(encodePreToken(p));
            out.add((int) '\n');
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A merge as the main code's model holds it: token byte strings. */
    byte[] tokenBytes(int id) {
        return vocab.get(id).getBytes(StandardCharsets.ISO_8859_1);
    }
}
