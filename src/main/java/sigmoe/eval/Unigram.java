package sigmoe.eval;

import sigmoe.data.Tokens;

/**
 * The unigram entropy of a token stream, in nats: the loss of the best model that ignores context, the first bar a
 * language model must clear (printed next to training results).
 */
public final class Unigram {
    private Unigram() {}

    public static double entropy(Tokens t, int vocabSize) {
        long[] counts = new long[vocabSize];
        int[] buf = new int[1 << 16];
        for (long pos = 0; pos < t.size(); pos += buf.length) {
            int n = (int) Math.min(buf.length, t.size() - pos);
            t.read(pos, buf, 0, n);
            for (int i = 0; i < n; i++) counts[buf[i]]++;
        }
        double h = 0, total = t.size();
        for (long c : counts) if (c > 0) { double p = c / total; h -= p * Math.log(p); }
        return h;
    }
}
