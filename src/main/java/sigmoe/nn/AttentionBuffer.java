package sigmoe.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer-owned scratch array of logical shape {@code [heads, streams, rows, cols]} (c-order) over one flat,
 * grow-only off-heap buffer, with cached 2-D views for the GEMMs of {@link RelativeAttention}:
 * <ul>
 *   <li>{@link #pair(int, int)}: the {@code [rows, cols]} block of one (head, stream), e.g. one head's keys of one
 *       stream, so per-(head, stream) products run on contiguous row blocks;</li>
 *   <li>{@link #head(int)}: the {@code [streams*rows, cols]} block of one head across all streams, so products
 *       whose other operand is shared by the streams (the position encodings R) need one GEMM per head;</li>
 *   <li>{@link #all()}: everything as {@code [heads*streams*rows, cols]} (with heads = 1: a plain activation
 *       matrix, row {@code b*rows + t}).</li>
 * </ul>
 * Reshaping to the same shape is free; a larger shape reallocates, a smaller one reuses the buffer. Views are built
 * lazily and dropped on reshape, because creating an ND4J view costs microseconds and the attention runs
 * heads×streams GEMMs per pass (nd4j-only.md §5a).
 */
final class AttentionBuffer {
    private final DataType dtype;
    private INDArray flat;
    private Mem mem;
    private int heads = -1, streams = -1, rows = -1, cols = -1;
    private INDArray[] pairViews, headViews;
    private INDArray allView;

    AttentionBuffer(DataType dtype) { this.dtype = dtype; }

    /** Sets the logical shape (no-op when unchanged); contents are undefined after a change. */
    AttentionBuffer shape(int heads, int streams, int rows, int cols) {
        if (heads == this.heads && streams == this.streams && rows == this.rows && cols == this.cols) return this;
        long need = (long) heads * streams * rows * cols;
        if (need > Integer.MAX_VALUE)
            throw new IllegalArgumentException("attention buffer of " + need + " elements exceeds 2^31; use fewer "
                    + "streams per step or a shorter memory/segment");
        if (flat == null || flat.length() < need) {
            // the old buffer is left to the garbage collector, not closed: arrays returned to callers may still view it
            flat = Nd4j.create(dtype, Math.max(need, 1));
            mem = Mem.of(flat);
        }
        this.heads = heads; this.streams = streams; this.rows = rows; this.cols = cols;
        pairViews = new INDArray[heads * streams];
        headViews = new INDArray[heads];
        allView = null;
        return this;
    }

    /** Element access over the whole buffer; element (h, b, t, c) is at ((h*streams + b)*rows + t)*cols + c. */
    Mem mem() { return mem; }

    INDArray pair(int h, int b) {
        int k = h * streams + b;
        INDArray v = pairViews[k];
        if (v == null) pairViews[k] = v = view((long) k * rows * cols, rows);
        return v;
    }

    INDArray head(int h) {
        INDArray v = headViews[h];
        if (v == null) headViews[h] = v = view((long) h * streams * rows * cols, (long) streams * rows);
        return v;
    }

    INDArray all() {
        if (allView == null) allView = view(0, (long) heads * streams * rows);
        return allView;
    }

    private INDArray view(long offset, long nRows) {
        return Nd4j.create(flat.data(), new long[] {nRows, cols}, new long[] {cols, 1}, offset, 'c', dtype);
    }
}
