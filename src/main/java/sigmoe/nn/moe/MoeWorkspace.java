package sigmoe.nn.moe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scratch buffers of the σ-MoE layer that hold nothing between its forward and backward, each sized for one expert's
 * bucket (≤ N rows): the expert's gathered input rows X_e (then its output Y_e), its gathered output gradient dY_e
 * (then dX_e) [n_e, d], and the gated hidden units U_e and their gradient [n_e, G]. Working one expert at a time keeps
 * them cache-resident between the gather, the two GEMMs and the scatter-add. Layers run one at a time, so one
 * workspace can be shared by all σ-MoE layers of a model; by default each layer makes its own.
 * Buffers grow to the largest request and are never shrunk (nd4j-only.md §7: allocating in the step is slow).
 */
public final class MoeWorkspace {
    final Grow rowsA = new Grow();
    final Grow rowsB = new Grow();
    final Grow gated = new Grow();
    final Grow gatedGrad = new Grow();

    /** Bytes currently allocated. */
    public long bytes() {
        return rowsA.bytes() + rowsB.bytes() + gated.bytes() + gatedGrad.bytes();
    }

    /** A flat buffer that hands out c-order [rows, cols] views of its start, reallocated only when too small. */
    static final class Grow {
        private INDArray flat;

        INDArray view(DataType dt, int rows, int cols) {
            long need = Math.max(1L, (long) rows * cols);
            // the old buffer is left to the garbage collector: a caller may still hold a view of it
            if (flat == null || flat.dataType() != dt || flat.length() < need) flat = Nd4j.create(dt, need);
            return Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {cols, 1}, flat.offset(), 'c', dt);
        }

        long bytes() { return flat == null ? 0 : flat.length() * flat.dataType().width(); }
    }

    /** Rows [r0, r1) of a c-order 2-D array or view, as a view. */
    static INDArray rows(INDArray a, int r0, int r1) {
        long cols = a.size(1);
        return Nd4j.create(a.data(), new long[] {r1 - r0, cols}, new long[] {cols, 1}, a.offset() + r0 * cols, 'c',
                a.dataType());
    }
}
