package sigmoe.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer-owned activation buffer {@code [rows, width]} that is allocated once and reused: {@link #rows(int)}
 * returns a contiguous c-order view of its first {@code n} rows, growing the backing array only when n exceeds the
 * capacity. Fresh large ND4J allocations cost page faults (nd4j-only.md §5d: 27 ms for 67 MB), so training,
 * whose N = B·T is fixed, allocates exactly once per buffer.
 */
public final class RowBuffer {
    private final DataType dtype;
    private final int width;
    private INDArray backing;
    private INDArray view;
    private int viewRows = -1;

    public RowBuffer(DataType dtype, int width) {
        if (width < 1) throw new IllegalArgumentException("buffer width must be >= 1, got " + width);
        this.dtype = dtype;
        this.width = width;
    }

    public int width() { return width; }

    /**
     * The first {@code n} rows; the same view object is returned while n stays the same. Contents are whatever the
     * previous user left (callers overwrite or zero as they need); growing discards the old contents.
     */
    public INDArray rows(int n) {
        if (n < 1) throw new IllegalArgumentException("need at least one row, got " + n);
        if (n == viewRows) return view;
        if (backing == null || backing.size(0) < n) {
            backing = Nd4j.create(dtype, n, width);
            view = backing;
        } else if (backing.size(0) == n) {
            view = backing;
        } else {
            view = Nd4j.create(backing.data(), new long[] {n, width}, new long[] {width, 1}, backing.offset(), 'c', dtype);
        }
        viewRows = n;
        return view;
    }

    /** The first {@code n} rows, set to zero. */
    public INDArray zeroRows(int n) {
        INDArray v = rows(n);
        v.assign(0);
        return v;
    }
}
