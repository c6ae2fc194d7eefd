package sigmoe.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer-owned scratch array of logical shape {@code [heads, streams, rows, cols]} (c-order) over one flat,
 * grow-only off-heap buffer. {@link #all()} is everything as {@code [heads*streams*rows, cols]} (with heads = 1: a
 * plain activation matrix, row {@code b*rows + t}); {@link #view} builds any strided view of the buffer, e.g. the
 * per-(head, stream) blocks of a row-major [rows, H·hs] activation as a 4-D [H, B, rows, hs] operand for
 * {@link StridedGemm}. Reshaping to the same shape is free; a larger shape reallocates, a smaller one reuses the
 * buffer; views taken before a reshape must be rebuilt after it.
 */
final class AttentionBuffer {
    private final DataType dtype;
    private INDArray flat;
    private Mem mem; // safe unfenced: flat, set together with it, keeps its memory alive while this buffer lives
    private int heads = -1, streams = -1, rows = -1, cols = -1;
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
            mem = Mem.of(flat); // view-safe: kept beside flat, which this buffer holds as long as it holds mem
        }
        this.heads = heads; this.streams = streams; this.rows = rows; this.cols = cols;
        allView = null;
        return this;
    }

    /** Element access over the whole buffer; element (h, b, t, c) is at ((h*streams + b)*rows + t)*cols + c. */
    Mem mem() { return mem; }

    INDArray all() {
        if (allView == null) allView = view(0, new long[] {(long) heads * streams * rows, cols}, new long[] {cols, 1});
        return allView;
    }

    /** A view of the buffer with the given element offset, shape and strides (in elements). */
    INDArray view(long offset, long[] shape, long[] stride) {
        return Nd4j.create(flat.data(), shape, stride, offset, 'c', dtype);
    }
}
