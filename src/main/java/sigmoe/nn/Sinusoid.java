package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fixed sinusoid position encoding of Transformer-XL's relative attention (formats.md §3, paper.md §3.2):
 * {@code P[r, 2i] = sin(r / 10000^(2i/d))}, {@code P[r, 2i+1] = cos(r / 10000^(2i/d))}, d_model wide (not head
 * size). Column pairs share one frequency; for an odd width the last column is a sine without its cosine partner
 * (the reference code cannot build odd widths at all, so this is our choice, and it keeps the even-width values).
 * Values are computed in double and only then stored, so FLOAT and DOUBLE stores see the same encoding up to
 * rounding and large offsets do not lose precision in the angle.
 */
public final class Sinusoid {
    private Sinusoid() {}

    /** The encoding of position (or relative offset) {@code pos} in column {@code col} of a {@code width}-wide table. */
    public static double value(long pos, int col, int width) {
        if (col < 0 || col >= width) throw new IllegalArgumentException("sinusoid column " + col + " outside 0.." + (width - 1));
        int pair = col / 2;
        double angle = pos * Math.pow(10000.0, -(2.0 * pair) / width);
        return (col & 1) == 0 ? Math.sin(angle) : Math.cos(angle);
    }

    /**
     * Fills a contiguous c-order table {@code out [n, width]} with the encodings of positions
     * {@code first, first+1, ..., first+n-1} (row k holds position first+k) and returns it.
     */
    public static INDArray fill(INDArray out, long first) {
        if (out.rank() != 2) throw new IllegalArgumentException("sinusoid table must be [n, width], got rank " + out.rank());
        int n = (int) out.size(0), width = (int) out.size(1);
        double[] invFreq = new double[(width + 1) / 2];
        for (int i = 0; i < invFreq.length; i++) invFreq[i] = Math.pow(10000.0, -(2.0 * i) / width);
        Mem m = Mem.of(out);
        for (int k = 0; k < n; k++) {
            double pos = first + k;
            int row = k * width;
            for (int col = 0; col < width; col++) {
                double angle = pos * invFreq[col >> 1];
                m.set(row + col, (col & 1) == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        Reference.reachabilityFence(out);
        return out;
    }
}
