package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inverted dropout: in training each element is zeroed with probability p and the survivors are scaled by
 * 1/(1 − p), so evaluation is the identity. Used on the embedding, after attention and FFN sub-blocks, on the dense
 * FFN's hidden ReLU units and before the output layer (paper.md §3.1).
 *
 * <p>The mask comes from the caller's {@link Rng}, so it is fixed by the seed (and a resumed run continues the same
 * stream): each {@code nextLong} yields two 24-bit uniforms (bits 40–63 and 8–31), element i dropped when its
 * uniform is below round(p·2²⁴). The mask is stored as 0 / 1/(1−p) values so both passes are one multiply.
 * When not training or p = 0, forward returns its input and backward its output gradient, with no copy.
 * Use one instance per dropout site: the buffers follow the width of the last input.
 */
public final class Dropout {
    public final double p;
    private final DataType dtype;
    private final long threshold;
    private final double keepScale;
    private RowBuffer mask;
    private RowBuffer y;
    private RowBuffer dx;
    private boolean active;
    private int n = -1;
    private int width = -1;

    public Dropout(DataType dtype, double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
        this.p = p;
        this.dtype = dtype;
        this.threshold = Math.round(p * (1 << 24));
        this.keepScale = 1 / (1 - p);
    }

    /** Applies dropout to x [N, C]; identity (x itself) when {@code !training} or p = 0. */
    public INDArray forward(INDArray x, boolean training, Rng rng) {
        n = Kernels.rows(x);
        width = Kernels.cols(x);
        active = training && p > 0;
        if (!active) return x;
        if (rng == null) throw new IllegalArgumentException("dropout in training needs an Rng");
        if (mask == null || mask.width() != width) {
            mask = new RowBuffer(dtype, width);
            y = new RowBuffer(dtype, width);
            dx = new RowBuffer(dtype, width);
        }
        INDArray m = mask.rows(n);
        fillMask(Mem.of(m), rng);
        Reference.reachabilityFence(m);
        INDArray out = y.rows(n);
        Kernels.mul(x, m, out);
        return out;
    }

    private void fillMask(Mem m, Rng rng) {
        int len = m.length, i = 0;
        for (; i + 1 < len; i += 2) {
            long r = rng.nextLong();
            m.set(i, ((r >>> 40) < threshold) ? 0 : keepScale);
            m.set(i + 1, (((r >>> 8) & 0xFFFFFF) < threshold) ? 0 : keepScale);
        }
        if (i < len) m.set(i, ((rng.nextLong() >>> 40) < threshold) ? 0 : keepScale);
    }

    /** dx = dy ⊙ mask (dy itself when the forward was the identity). */
    public INDArray backward(INDArray dy) {
        if (n < 0) throw new IllegalStateException("dropout: backward before forward");
        if (Kernels.rows(dy) != n || Kernels.cols(dy) != width)
            throw new IllegalArgumentException("dropout: output gradient must be " + n + "x" + width);
        if (!active) return dy;
        INDArray out = dx.rows(n);
        Kernels.mul(dy, mask.rows(n), out);
        return out;
    }

    /** The last training mask (0 or 1/(1−p) per element), or null if the last forward was the identity. */
    public INDArray mask() { return active ? mask.rows(n) : null; }
}
