package sigmoe.nn.moe;

/**
 * Wall time per phase of the σ-MoE layer, for the benchmark's profile (off unless a profile is attached; then it
 * costs one System.nanoTime() per phase boundary).
 */
final class MoeProfile {
    enum Phase {
        ROUTER_GEMM("router GEMM z = x W3ᵀ"),
        SELECT("sigmoid + expert dropout + top-K + bucketing"),
        ENTROPY("entropy regulariser (softmax, p)"),
        GATHER("gather expert rows"),
        EXPERT_GEMM("expert GEMMs (forward)"),
        RELU_GATE("ReLU + gate multiply"),
        COMBINE("combine: each token sums its K expert rows"),
        STATS("expert statistics"),
        B_GATHER("backward: gather x, dy rows; U = g·H"),
        B_EXPERT_GEMM("backward: expert GEMMs"),
        B_GATE("backward: gate/ReLU backward"),
        B_DZ("backward: dz (sigmoid + regulariser)"),
        B_ROUTER_GEMM("backward: router GEMMs dW3, dx"),
        B_COMBINE("backward: combine dX rows into dx");

        final String label;

        Phase(String label) { this.label = label; }
    }

    final long[] nanos = new long[Phase.values().length];
    private long t;

    void start() { t = System.nanoTime(); }

    void lap(Phase p) {
        long now = System.nanoTime();
        nanos[p.ordinal()] += now - t;
        t = now;
    }

    void clear() { java.util.Arrays.fill(nanos, 0); }
}
