package sigmoe.nn.variants;

/** Softmax over one token's expert logits, for the softmax selection variants. */
final class RowSoftmax {
    private RowSoftmax() {}

    /** Row-wise softmax of z[o .. o+len) into out[o .. o+len) (max-shifted). */
    static void softmax(sigmoe.nn.Mem z, int o, int len, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < len; e++) max = Math.max(max, z.get(o + e));
        double sum = 0;
        for (int e = 0; e < len; e++) { double v = Math.exp(z.get(o + e) - max); out[o + e] = v; sum += v; }
        for (int e = 0; e < len; e++) out[o + e] /= sum;
    }
}
