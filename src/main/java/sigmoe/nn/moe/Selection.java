package sigmoe.nn.moe;

import sigmoe.nn.Mem;

/**
 * An alternative expert-selection rule for {@link SigmaMoeFfn} (paper.md §2.3: softmax with/without renormalisation,
 * Switch, S-BASE). The layer's default — no Selection — is σ-MoE's sigmoid top-K; a Selection replaces only the
 * scores → top-K → gates step, its gate gradient and (optionally) the balancing regulariser; the expert compute is
 * unchanged. One instance per layer (it may cache per-batch values between forward and backward).
 *
 * <p>Slot layout as in {@link Routing}: slot {@code t·K + j} is token t's j-th choice, {@code sel = -1} and gate 0
 * for an empty slot. A dropped expert (expert dropout) must never be selected.
 */
public interface Selection {
    /**
     * Chooses the K experts and gates of n tokens from their logits z [n, N_E] (raw, before expert dropout).
     *
     * @param dropped  expert-dropout mask, {@code dropped[t·N_E + e]}, or null when there is none
     * @param training whether this is a training forward
     */
    void select(Mem z, int n, int nExperts, int topK, boolean[] dropped, boolean training, int[] sel, double[] gate);

    /** dz[t·N_E + e] += Σ_slots dL/dgate · ∂gate/∂z_{t,e}, for dL/dgate of each slot in {@code dgate[t·K + j]}. */
    void gateBackward(int n, int nExperts, int topK, int[] sel, double[] gate, double[] dgate, double[] dz);

    /** Whether the layer's entropy regulariser (paper.md §1.3, on the raw logits) applies; false if this rule has its own. */
    default boolean usesEntropyReg() { return true; }

    /** The rule's own regulariser L (unweighted) for the batch just selected, in training; called after select. */
    default double regForward(Mem z, int n, int nExperts, int topK, int[] sel, double[] gate) { return 0; }

    /** dz += γ·∂L/∂z for the L of the last {@link #regForward}. */
    default void addRegGradient(double[] dz, double gamma) {}

    /** Rows per sequence of the next forward's input (rows are ordered b·T + t); rules that need [B, T] use it. */
    default void setSequenceLength(int seqLen) {}
}
