package sigmoe.nn.moe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scratch buffers of the σ-MoE layer that hold nothing between its forward and backward: one expert's gathered input
 * rows X_e and output-gradient rows dY_e [n_e, d], its gated hidden units U_e and their gradient [n_e, G] (sized for
 * the largest bucket n_e ≤ N, reused expert after expert so they stay cache-resident), and the dispatch buffer
 * [N·K, d] that collects every expert's output rows (forward: Y, backward: dX) for the per-token combine.
 * Layers run one at a time, so one workspace can be shared by all σ-MoE layers of a model; by default each layer
 * makes its own. Buffers grow to the largest request and are never shrunk (allocating in the step is slow,
 * nd4j-only.md §7).
 */
public final class MoeWorkspace {
    final Grow rowsA = new Grow();
    final Grow rowsB = new Grow();
    final Grow gated = new Grow();
    final Grow gatedGrad = new Grow();
    final Grow dispatch = new Grow();

    /** Bytes currently allocated. */
    public long bytes() {
        return rowsA.bytes() + rowsB.bytes() + gated.bytes() + gatedGrad.bytes() + dispatch.bytes();
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
