package sigmoe.data.bpe;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import sigmoe.data.Corpus;
import sigmoe.data.CorpusFormatException;
import sigmoe.data.HadoopFs;
import sigmoe.data.Manifest;
import sigmoe.data.Vocabulary;

/**
 * A learned byte-level BPE model: the ordered merge list, from which the vocabulary follows.
 * <ul>
 *   <li>ids 0..255 are the single bytes 0x00..0xFF (byte fallback: any text has an encoding, nothing is
 *       {@code <unk>}); id 10 ('\n') ends every line;</li>
 *   <li>merge of rank r joins two existing tokens into the new token of id 256 + r. No merge creates bytes that
 *       are already a token (the trainer skips such pairs), so the vocabulary has no duplicates and ids grow with
 *       rank;</li>
 *   <li>a pre-token ({@link PreTokenizer}) is encoded by starting from its UTF-8 bytes and repeatedly merging
 *       every occurrence, left to right, of the adjacent pair of lowest rank; this equals applying every merge in
 *       rank order, as the trainer did, because a merge only creates pairs of higher rank.</li>
 * </ul>
 * {@code bpe-merges.txt} (next to vocab.txt): one merge per line, rank = line number - 1, the two tokens in
 * {@link PieceText} form separated by one space; UTF-8, each line ended by '\n'.
 *
 * <p>Immutable and thread-safe.
 */
public final class BpeModel implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String MERGES_FILE = "bpe-merges.txt";
    public static final int BYTES = 256;
    /** The id of the '\n' byte, emitted after every line. */
    public static final int NEWLINE_ID = '\n';

    private final int[] left, right;  // merge rank -> pair
    private final byte[][] tokens;     // id -> bytes
    private final LongIntMap ranks;    // pair -> rank

    /**
     * A model from its merges as id pairs; {@code left[r]} and {@code right[r]} must be ids below 256 + r.
     *
     * @throws IllegalArgumentException naming the first bad merge
     */
    public BpeModel(int[] left, int[] right) {
        if (left.length != right.length) throw new IllegalArgumentException("left and right merge lists differ in length");
        this.left = left.clone();
        this.right = right.clone();
        int m = left.length;
        tokens = new byte[BYTES + m][];
        Map<String, Integer> ids = new HashMap<>((BYTES + m) * 2);
        for (int b = 0; b < BYTES; b++) {
            tokens[b] = new byte[] {(byte) b};
            ids.put(key(tokens[b]), b);
        }
        ranks = new LongIntMap(m);
        for (int r = 0; r < m; r++) {
            int a = left[r], b = right[r], id = BYTES + r;
            if (a < 0 || b < 0 || a >= id || b >= id) {
                throw new IllegalArgumentException("merge " + r + " (" + a + ", " + b + ") refers to a token not yet defined");
            }
            byte[] t = new byte[tokens[a].length + tokens[b].length];
            System.arraycopy(tokens[a], 0, t, 0, tokens[a].length);
            System.arraycopy(tokens[b], 0, t, tokens[a].length, tokens[b].length);
            Integer dup = ids.put(key(t), id);
            if (dup != null) {
                throw new IllegalArgumentException("merge " + r + " creates \"" + PieceText.render(t) + "\", already token " + dup);
            }
            if (ranks.get(LongIntMap.pair(a, b)) >= 0) throw new IllegalArgumentException("merge " + r + " is repeated");
            tokens[id] = t;
            ranks.put(LongIntMap.pair(a, b), r);
        }
    }

    /** Bytes as a string of chars 0..255: a hash key with the bytes' equality and order. */
    static String key(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Vocabulary size: 256 + number of merges. */
    public int size() {
        return tokens.length;
    }

    public int merges() {
        return left.length;
    }

    public int mergeLeft(int rank) {
        return left[rank];
    }

    public int mergeRight(int rank) {
        return right[rank];
    }

    /** The bytes of a token (a copy). */
    public byte[] token(int id) {
        return tokens[id].clone();
    }

    /** The vocabulary (vocab.txt, detokenization). */
    public Vocabulary vocabulary() {
        return Vocabulary.ofPieces(Arrays.asList(tokens));
    }

    /** The ids of one pre-token's bytes. */
    public int[] encodePreToken(byte[] bytes) {
        int n = bytes.length;
        int[] s = new int[n];
        for (int i = 0; i < n; i++) s[i] = bytes[i] & 0xff;
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                int r = ranks.get(LongIntMap.pair(s[i], s[i + 1]));
                if (r >= 0 && r < best) best = r;
            }
            if (best == Integer.MAX_VALUE) break;
            int a = left[best], b = right[best], id = BYTES + best, w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    s[w++] = id;
                    i += 2;
                } else {
                    s[w++] = s[i++];
                }
            }
            n = w;
        }
        return n == s.length ? s : Arrays.copyOf(s, n);
    }

    /** Emits the ids of one line (without its terminator) followed by the newline id. */
    public void encodeLine(String line, IntConsumer out) {
        PreTokenizer.split(line, p -> {
            for (int id : encodePreToken(p.getBytes(StandardCharsets.UTF_8))) out.accept(id);
        });
        out.accept(NEWLINE_ID);
    }

    /**
     * The ids of a text, exactly invertible by {@link Vocabulary#decode}: each '\n'-terminated line as
     * {@link #encodeLine}, and a final unterminated line without the newline id.
     */
    public int[] encode(String text) {
        IntList ids = new IntList();
        int start = 0;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
            encodeLine(text.substring(start, i), ids);
            start = i + 1;
        }
        if (start < text.length()) {
            encodeLine(text.substring(start), ids);
            ids.n--; // the final line has no '\n'
        }
        return ids.toArray();
    }

    /** bpe-merges.txt. */
    public byte[] toMergesFile() {
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < left.length; r++) {
            s.append(PieceText.render(tokens[left[r]])).append(' ').append(PieceText.render(tokens[right[r]])).append('\n');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses bpe-merges.txt; {@code file} names it in errors. */
    public static BpeModel parseMerges(byte[] content, String file) throws CorpusFormatException {
        String text = new String(content, StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n")) text += "\n";
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < BYTES; b++) ids.put(key(new byte[] {(byte) b}), b);
        List<int[]> merges = new ArrayList<>();
        int start = 0;
        for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            String line = text.substring(start, nl);
            int lineNo = merges.size() + 1;
            start = nl + 1;
            int sp = line.indexOf(' ');
            if (sp < 0 || line.indexOf(' ', sp + 1) >= 0) {
                throw bad(file, lineNo, "two tokens separated by one space", line);
            }
            byte[] a, b;
            try {
                a = PieceText.parse(line.substring(0, sp));
                b = PieceText.parse(line.substring(sp + 1));
            } catch (IllegalArgumentException e) {
                throw bad(file, lineNo, "tokens in vocab.txt form (" + e.getMessage() + ")", line);
            }
            Integer ia = ids.get(key(a)), ib = ids.get(key(b));
            if (ia == null || ib == null) throw bad(file, lineNo, "tokens defined by earlier lines", line);
            byte[] t = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, t, a.length, b.length);
            if (ids.putIfAbsent(key(t), BYTES + merges.size()) != null) {
                throw bad(file, lineNo, "a merge creating a new token", line);
            }
            merges.add(new int[] {ia, ib});
        }
        int[] l = new int[merges.size()], r = new int[merges.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = merges.get(i)[0];
            r[i] = merges.get(i)[1];
        }
        return new BpeModel(l, r);
    }

    private static CorpusFormatException bad(String file, int line, String expected, String found) {
        return CorpusFormatException.mismatch(file, "line " + line, expected, "\"" + found + "\"", null);
    }

    /** The model of a prepared bpe corpus: its bpe-merges.txt, checked against its vocab.txt. */
    public static BpeModel open(Corpus corpus, Configuration conf) throws IOException {
        if (!corpus.tokenizerKind().equals(BpeTokenizer.KIND)) {
            throw new CorpusFormatException(corpus.uri() + ": a " + corpus.tokenizerKind() + " corpus has no BPE model");
        }
        String name = String.valueOf(corpus.manifest().tokenizerParams().getOrDefault("merges_file", MERGES_FILE));
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw CorpusFormatException.mismatch(corpus.uri() + "/" + Manifest.FILE, "tokenizer.merges_file",
                    "a plain file name inside the corpus directory", "\"" + name + "\"", null);
        }
        Path f = new Path(corpus.uri(), name);
        FileSystem fs = HadoopFs.of(f, conf);
        BpeModel m = parseMerges(HadoopFs.readSmall(fs, f, 1L << 30), f.toString());
        Vocabulary v = corpus.vocabulary();
        boolean same = v.size() == m.size();
        for (int i = 0; same && i < v.size(); i++) same = Arrays.equals(v.pieceBytes(i), m.tokens[i]);
        if (!same) {
            throw CorpusFormatException.mismatch(f.toString(), "tokens", "the " + v.size() + " tokens of vocab.txt",
                    m.size() + " tokens that differ", "merges from another corpus?");
        }
        return m;
    }

    /** A growable int list that is also the IntConsumer the encoder writes to. */
    static final class IntList implements IntConsumer {
        int[] a = new int[64];
        int n;

        @Override
        public void accept(int v) {
            if (n == a.length) a = Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
