package sigmoe.nn.moe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scratch of the σ-MoE layer: buffers whose contents are dead between its forward and its backward, so one
 * workspace can be shared by all σ-MoE layers of a model (layers run one at a time); by default each layer makes
 * its own. Buffers grow to the largest request and are never shrunk (allocating in the step is slow,
 * nd4j-only.md §7).
 * <ul>
 *   <li>per expert worker ({@link #worker(int)}): one expert's gathered input rows X_e and output-gradient rows
 *       dY_e [n_e, d], its gated hidden units U_e and their gradient [n_e, G], sized for the largest bucket
 *       n_e ≤ N and reused expert after expert, so they stay cache-resident;</li>
 *   <li>the dispatch buffer [N·K, d] that collects every expert's output rows (forward: Y, backward: dX) for the
 *       per-token combine;</li>
 *   <li>the selection logits z and their gradient dz [N, N_E] (z is read only within forward: the entropy
 *       regulariser keeps its own softmax), the per-row gate gradient and the score-dropout mask bits.</li>
 * </ul>
 */
public final class MoeWorkspace {
    final Grow dispatch = new Grow();
    final Grow logits = new Grow();
    final Grow logitsGrad = new Grow();
    private Worker[] workers = new Worker[0];
    double[] dgate = new double[0];     // [N·K] dL/dgate per dispatch row (backward)
    double[] dz = new double[0];        // [N·N_E] dL/dz in double before the cast into the logits gradient
    double[] dgateSlot = new double[0]; // [N·K] dL/dgate per slot, for a custom Selection
    long[] dropBits = new long[0];      // score-dropout mask of the dispatch rows' hidden units, 1 = dropped

    /** Makes sure workers 0 … n−1 have scratch; call on the calling thread before the workers start. */
    void ensureWorkers(int n) {
        if (n <= workers.length) return;
        Worker[] w = java.util.Arrays.copyOf(workers, n);
        for (int j = workers.length; j < n; j++) w[j] = new Worker();
        workers = w;
    }

    /** Scratch of expert worker i (after {@link #ensureWorkers}). */
    Worker worker(int i) { return workers[i]; }

    /** Bytes currently allocated. */
    public long bytes() {
        long b = dispatch.bytes() + logits.bytes() + logitsGrad.bytes()
                + 8L * (dgate.length + dz.length + dgateSlot.length + dropBits.length);
        for (Worker w : workers) b += w.rowsA.bytes() + w.rowsB.bytes() + w.gated.bytes() + w.gatedGrad.bytes();
        return b;
    }

    static double[] grow(double[] a, int n) { return a.length >= n ? a : new double[Math.max(n, 1)]; }

    /** One expert worker's row buffers: X_e, dY_e [n_e, d]; U_e, dU_e [n_e, G]. */
    static final class Worker {
        final Grow rowsA = new Grow();
        final Grow rowsB = new Grow();
        final Grow gated = new Grow();
        final Grow gatedGrad = new Grow();
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
