package sigmoe.data;

import java.util.Arrays;

/**
 * Byte-level tokenization with the enwik8 conventions: every byte of the input is a token; the vocabulary is
 * the ascending list of distinct byte values of the train split (id = rank); a byte of valid or test that never
 * occurs in train has no id and is an error (enwik8's standard 90M/5M/5M split has none).
 */
public final class ByteTokenizer implements Tokenizer {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "byte";

    @Override
    public String kind() {
        return KIND;
    }

    /** The vocabulary of a train split given its byte histogram (256 counts). */
    public Vocabulary fit(long[] trainHistogram) {
        int[] values = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) if (trainHistogram[b] > 0) values[n++] = b;
        return Vocabulary.ofBytes(Arrays.copyOf(values, n));
    }

    /** byte value (0..255) -> id, -1 for bytes outside the vocabulary. */
    public static int[] idTable(Vocabulary v) {
        int[] t = new int[256];
        Arrays.fill(t, -1);
        for (int id = 0; id < v.size(); id++) t[v.byteValue(id)] = id;
        return t;
    }
}
