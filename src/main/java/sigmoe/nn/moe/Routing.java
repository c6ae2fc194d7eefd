package sigmoe.nn.moe;

import sigmoe.nn.RowParallel;
import sigmoe.nn.Mem;
import sigmoe.nn.Rng;

/**
 * Expert selection of the σ-MoE layer for one batch (paper.md §1.2): s = sigmoid(z), the expert-dropout mask,
 * top-K, and the bucketing of the (token, slot) pairs by expert (a stable counting sort) that the sparse compute
 * runs on. Arrays are reused between calls and grown when the batch grows.
 *
 * <p>Slot layout: slot {@code t·K + j} is the j-th choice of token t, in descending score order; ties go to the
 * lower expert index, so the selection is deterministic. A dropped expert is never selected: when expert dropout
 * leaves fewer than K experts for a token, its remaining slots are empty ({@code sel = -1}). The official code would
 * pick dropped experts there with gate 0, which contributes nothing to the output or any gradient, so the two are
 * numerically identical (paper.md §1.2 "dropped experts just cannot be chosen").
 *
 * <p>Dispatch layout: rows {@code [offsets[e], offsets[e+1])} belong to expert e, in (token, slot) order; within one
 * expert every token occurs at most once.
 */
final class Routing {
    final int nExperts;
    final int topK;
    int n;
    int rows;
    int[] sel = new int[0];        // [n·K] selected expert per slot, -1 = empty
    double[] gate = new double[0]; // [n·K] raw sigmoid score of the selected expert
    int[] slotRow = new int[0];    // [n·K] dispatch row of each slot, -1 = empty
    int[] rowToken = new int[0];   // [rows] token of each dispatch row
    int[] rowSlot = new int[0];    // [rows] slot of each dispatch row
    double[] rowGate = new double[0]; // [rows] gate of each dispatch row
    boolean[] dropped = new boolean[0]; // [n·N_E] expert-dropout mask of the last training forward (δ > 0)
    final int[] offsets;
    private final int[] cursor;

    Routing(int nExperts, int topK) {
        this.nExperts = nExperts;
        this.topK = topK;
        this.offsets = new int[nExperts + 1];
        this.cursor = new int[nExperts];
    }

    /**
     * Selects the experts of n tokens from their logits z [n, N_E]. With {@code dropProb > 0} the mask is drawn from
     * {@code rng} in token-major, expert-minor order: dropped(t, e) = rng.nextFloat() < δ.
     * With {@code unitGate} every gate is 1 (test switch: the layer then equals a plain FFN when N_E = K = 1).
     */
    void select(Mem z, int n, double dropProb, Rng rng, boolean unitGate) {
        select(z, n, dropProb, rng, unitGate, null, true);
    }

    /** As above, with the scores → top-K → gates step delegated to {@code custom} when it is not null. */
    void select(Mem z, int n, double dropProb, Rng rng, boolean unitGate, Selection custom, boolean training) {
        this.n = n;
        int nk = n * topK;
        if (sel.length < nk) {
            sel = new int[nk];
            gate = new double[nk];
            slotRow = new int[nk];
            rowToken = new int[nk];
            rowSlot = new int[nk];
            rowGate = new double[nk];
        }
        boolean drop = dropProb > 0;
        if (drop) {
            // drawn up front, in the documented order, so the selection below can run in parallel token blocks
            if (dropped.length < n * nExperts) dropped = new boolean[n * nExperts];
            for (int i = 0; i < n * nExperts; i++) dropped[i] = rng.nextFloat() < dropProb;
        }
        if (custom != null) custom.select(z, n, nExperts, topK, drop ? dropped : null, training, sel, gate);
        else RowParallel.forRange(n, 2048, (lo, hi) -> {
            double[] score = new double[nExperts];
            for (int t = lo; t < hi; t++) selectToken(z, t, drop, unitGate, score);
        });
        java.util.Arrays.fill(cursor, 0);
        for (int slot = 0; slot < nk; slot++) if (sel[slot] >= 0) cursor[sel[slot]]++;
        // stable counting sort of the (token, slot) pairs by expert
        offsets[0] = 0;
        for (int e = 0; e < nExperts; e++) offsets[e + 1] = offsets[e] + cursor[e];
        rows = offsets[nExperts];
        System.arraycopy(offsets, 0, cursor, 0, nExperts);
        for (int slot = 0; slot < nk; slot++) {
            int e = sel[slot];
            if (e < 0) { slotRow[slot] = -1; continue; }
            int r = cursor[e]++;
            slotRow[slot] = r;
            rowToken[r] = slot / topK;
            rowSlot[r] = slot;
            rowGate[r] = gate[slot];
        }
    }

    /** Sigmoid scores of token t (into {@code score}, one token's worth of scratch) and its top-K among the experts not dropped. */
    private void selectToken(Mem z, int t, boolean drop, boolean unitGate, double[] score) {
        int zo = t * nExperts, so = t * topK;
        for (int e = 0; e < nExperts; e++) score[e] = sigmoid(z.get(zo + e));
        int filled = TopK.select(score, 0, nExperts, topK, drop ? dropped : null, zo, sel, gate, so);
        if (unitGate) for (int j = 0; j < filled; j++) gate[so + j] = 1;
    }

    int count(int e) { return offsets[e + 1] - offsets[e]; }

    /** The largest expert bucket (≤ n: a token selects an expert at most once). */
    int maxCount() {
        int m = 0;
        for (int e = 0; e < nExperts; e++) m = Math.max(m, count(e));
        return m;
    }

    static double sigmoid(double z) {
        return 1.0 / (1.0 + Math.exp(-z));
    }
}
