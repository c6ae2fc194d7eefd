package sigmoe.nn.moe;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Wall time per phase of the σ-MoE layer, for the benchmark's profile (off unless a profile is attached; then it
 * costs one System.nanoTime() per phase boundary). The phases inside the expert loop run on several workers at
 * once, so they are busy time summed over the workers ({@link Phase#worker}); the loop's wall time is its own phase.
 */
final class MoeProfile {
    enum Phase {
        ROUTER_GEMM("router GEMM z = x W3ᵀ", false),
        SELECT("sigmoid + expert dropout + top-K + bucketing", false),
        ENTROPY("entropy regulariser (softmax, p)", false),
        EXPERTS("expert loop (wall)", false),
        GATHER("gather expert rows", true),
        EXPERT_GEMM("expert GEMMs (forward)", true),
        RELU_GATE("ReLU + gate multiply", true),
        COMBINE("combine: each token sums its K expert rows", false),
        STATS("expert statistics", false),
        B_EXPERTS("backward: expert loop (wall)", false),
        B_GATHER("backward: gather x, dy rows; U = g·H", true),
        B_EXPERT_GEMM("backward: expert GEMMs", true),
        B_GATE("backward: gate/ReLU backward", true),
        B_DZ("backward: dz (sigmoid + regulariser)", false),
        B_ROUTER_GEMM("backward: router GEMMs dW3, dx", false),
        B_COMBINE("backward: combine dX rows into dx", false);

        final String label;
        final boolean worker;

        Phase(String label, boolean worker) {
            this.label = label;
            this.worker = worker;
        }
    }

    final long[] nanos = new long[Phase.values().length];
    private final AtomicLongArray busy = new AtomicLongArray(Phase.values().length);
    private long t;

    void start() { t = System.nanoTime(); }

    /** The calling thread's phase p ends now (wall time). */
    void lap(Phase p) {
        long now = System.nanoTime();
        nanos[p.ordinal()] += now - t;
        t = now;
    }

    /** A worker's phase p, begun at {@code since}, ends now; returns now (the next phase's start). */
    long busy(Phase p, long since) {
        long now = System.nanoTime();
        busy.addAndGet(p.ordinal(), now - since);
        return now;
    }

    /** Wall time of a caller phase, or busy time summed over workers of a worker phase. */
    long nanos(Phase p) { return p.worker ? busy.get(p.ordinal()) : nanos[p.ordinal()]; }

    void clear() {
        java.util.Arrays.fill(nanos, 0);
        for (int i = 0; i < busy.length(); i++) busy.set(i, 0);
    }
}
