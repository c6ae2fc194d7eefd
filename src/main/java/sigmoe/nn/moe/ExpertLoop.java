package sigmoe.nn.moe;

import sigmoe.nn.RowParallel;
import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.Mem;

/**
 * The per-expert part of the σ-MoE layer (paper.md §1.5, "ND4J reference algorithm"), expert-parallel: up to
 * {@link RowParallel#threads()} workers (the calling thread plus common-pool threads) take experts from a shared counter, and
 * each runs its expert's gather, both GEMMs and the row kernels on its own scratch with <b>one BLAS thread</b>.
 *
 * <p>Why: at the expert shapes ([n_e × 412] × [412 × 128], n_e ≈ 2048) OpenBLAS's 2-thread split reaches only
 * ~0.65–0.8 of its large-sgemm rate, while one thread per GEMM keeps ~0.83 of the 1-thread large-sgemm rate; two
 * experts at once on two cores do more work per core (docs/performance.md, Session 2), and each worker's Java
 * row work overlaps the other's GEMM.
 *
 * <p>Determinism: an expert's rows of H, of the dispatch buffer and of dgate and its slices of dW1, dW2 belong to
 * it alone, and every expert GEMM runs on one BLAS thread whatever the worker count (OpenBLAS's bits depend on its
 * thread count), so the results do not depend on the number of workers or on which worker ran which expert.
 */
final class ExpertLoop {
    private ExpertLoop() {}

    /**
     * Most workers per expert loop; 0 (the default) follows {@link RowParallel#threads()}, which a Spark task sets to
     * its cores. Tests vary it to check that the bits do not depend on it.
     */
    static volatile int maxWorkers = 0;

    /** One σ-MoE layer's per-expert operands for one forward/backward. */
    record Experts(int dModel, int expertSize, Routing routing, INDArray[] w1, INDArray[] w2, INDArray[] gw1, INDArray[] gw2,
                   MoeWorkspace ws, MoeProfile profile) {
        int nExperts() { return w1.length; }
    }

    /**
     * Forward: per expert e, X_e = gather(x), H_e = ReLU(X_e W1[e]) into its rows of h (kept for backward),
     * U_e = g·H_e, Y_e = U_e W2[e] into its rows of disp. With {@code dropBits} (score dropout), H and U of the
     * units whose bit is set are zeroed and the others scaled by {@code keep}, before Y_e.
     */
    static void forward(Experts ex, INDArray x, INDArray h, INDArray disp, long[] dropBits, double keep) {
        Routing rt = ex.routing;
        int d = ex.dModel, g = ex.expertSize, maxRows = rt.maxCount();
        DataType dt = h.dataType();
        MoeProfile pr = ex.profile;
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        run(ex.ws, workers(rt), w -> {
            MoeWorkspace.Worker wk = ex.ws.worker(w);
            INDArray xa = wk.rowsA.view(dt, maxRows, d), ua = wk.gated.view(dt, maxRows, g);
            long t = System.nanoTime();
            for (int e; (e = next.getAndIncrement()) < ex.nExperts(); ) {
                int r0 = rt.offsets[e], cnt = rt.offsets[e + 1] - r0;
                if (cnt == 0) continue;
                INDArray xe = MoeWorkspace.rows(xa, 0, cnt), he = MoeWorkspace.rows(h, r0, r0 + cnt), ue = MoeWorkspace.rows(ua, 0, cnt);
                RowOps.gatherRows(x, rt.rowToken, r0, cnt, xe, d, false);
                if (pr != null) t = pr.busy(MoeProfile.Phase.GATHER, t);
                Nd4j.gemm(xe, ex.w1[e], he, false, false, 1.0, 0.0);           // A = X_e W1[e]
                if (pr != null) t = pr.busy(MoeProfile.Phase.EXPERT_GEMM, t);
                RowOps.reluGate(he, ue, rt.rowGate, r0, cnt, g, false);         // H = ReLU(A) (kept), U = g·H
                if (dropBits != null) dropScores(he, ue, dropBits, (long) r0 * g, cnt * g, keep);
                if (pr != null) t = pr.busy(MoeProfile.Phase.RELU_GATE, t);
                Nd4j.gemm(ue, ex.w2[e], MoeWorkspace.rows(disp, r0, r0 + cnt), false, false, 1.0, 0.0); // Y_e = U W2[e]
                if (pr != null) t = pr.busy(MoeProfile.Phase.EXPERT_GEMM, t);
            }
        });
    }

    /**
     * Backward: per expert e, dW2[e] += U_eᵀ dY_e, dU_e = dY_e W2[e]ᵀ, dgate and dA_e (gate/ReLU backward;
     * dgate == null: constant gates), dA_e × {@code daScale} (score dropout's 1/(1−p), 1 otherwise),
     * dW1[e] += X_eᵀ dA_e and dX_e = dA_e W1[e]ᵀ into its rows of disp.
     */
    static void backward(Experts ex, INDArray x, INDArray dy, INDArray h, INDArray disp, double[] dgate, double daScale) {
        Routing rt = ex.routing;
        int d = ex.dModel, g = ex.expertSize, maxRows = rt.maxCount();
        DataType dt = h.dataType();
        MoeProfile pr = ex.profile;
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        run(ex.ws, workers(rt), w -> {
            MoeWorkspace.Worker wk = ex.ws.worker(w);
            INDArray xa = wk.rowsA.view(dt, maxRows, d), da = wk.rowsB.view(dt, maxRows, d);
            INDArray ua = wk.gated.view(dt, maxRows, g), dua = wk.gatedGrad.view(dt, maxRows, g);
            long t = System.nanoTime();
            for (int e; (e = next.getAndIncrement()) < ex.nExperts(); ) {
                int r0 = rt.offsets[e], cnt = rt.offsets[e + 1] - r0;
                if (cnt == 0) continue;
                INDArray xe = MoeWorkspace.rows(xa, 0, cnt), de = MoeWorkspace.rows(da, 0, cnt);
                INDArray ue = MoeWorkspace.rows(ua, 0, cnt), due = MoeWorkspace.rows(dua, 0, cnt);
                INDArray he = MoeWorkspace.rows(h, r0, r0 + cnt);
                RowOps.gatherRows(x, rt.rowToken, r0, cnt, xe, d, false);
                RowOps.gatherRows(dy, rt.rowToken, r0, cnt, de, d, false);
                RowOps.gate(he, ue, rt.rowGate, r0, cnt, g, false); // U = g·H again (the scratch is shared)
                if (pr != null) t = pr.busy(MoeProfile.Phase.B_GATHER, t);
                Nd4j.gemm(ue, de, ex.gw2[e], true, false, 1.0, 1.0);    // dW2[e] += Uᵀ dY
                Nd4j.gemm(de, ex.w2[e], due, false, true, 1.0, 0.0);    // dU = dY W2[e]ᵀ
                if (pr != null) t = pr.busy(MoeProfile.Phase.B_EXPERT_GEMM, t);
                RowOps.gateBackward(due, he, rt.rowGate, dgate, r0, cnt, g, false); // dU → dA
                if (daScale != 1) scale(due, cnt * g, daScale);
                if (pr != null) t = pr.busy(MoeProfile.Phase.B_GATE, t);
                Nd4j.gemm(xe, due, ex.gw1[e], true, false, 1.0, 1.0);   // dW1[e] += Xᵀ dA
                Nd4j.gemm(due, ex.w1[e], MoeWorkspace.rows(disp, r0, r0 + cnt), false, true, 1.0, 0.0); // dX_e = dA W1[e]ᵀ
                if (pr != null) t = pr.busy(MoeProfile.Phase.B_EXPERT_GEMM, t);
            }
        });
    }

    /** Workers for this batch: no more than the non-empty experts. */
    private static int workers(Routing rt) {
        int busy = 0;
        for (int e = 0; e < rt.nExperts; e++) if (rt.count(e) > 0) busy++;
        int cap = maxWorkers > 0 ? maxWorkers : RowParallel.threads();
        return Math.max(1, Math.min(cap, busy));
    }

    /** Runs the workers with OpenBLAS on one thread, restoring its thread count afterwards. */
    private static void run(MoeWorkspace ws, int workers, RowParallel.Worker body) {
        ws.ensureWorkers(workers);
        SingleBlas.enter();
        try {
            RowParallel.forWorkers(workers, body);
        } finally {
            SingleBlas.exit();
        }
    }

    /** Score dropout on len hidden units from unit {@code bit0} of the mask: dropped ones 0, the others × keep. */
    private static void dropScores(INDArray he, INDArray ue, long[] bits, long bit0, int len, double keep) {
        Mem hm = Mem.of(he), um = Mem.of(ue);
        for (int i = 0; i < len; i++) {
            long b = bit0 + i;
            double m = (bits[(int) (b >>> 6)] >>> (b & 63) & 1L) != 0 ? 0 : keep;
            hm.set(i, hm.get(i) * m);
            um.set(i, um.get(i) * m);
        }
        Reference.reachabilityFence(he); Reference.reachabilityFence(ue);
    }

    /** a[i] *= s for the first len entries (a Java loop: ND4J's own ops are not called from the workers). */
    private static void scale(INDArray a, int len, double s) {
        Mem m = Mem.of(a);
        for (int i = 0; i < len; i++) m.set(i, m.get(i) * s);
        Reference.reachabilityFence(a);
    }

}
