package sigmoe.nn.moe;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.Mem;
import sigmoe.nn.Param;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/**
 * The σ-MoE feed-forward block (paper.md §1): z = x W3ᵀ, s = sigmoid(z), expert dropout on s in training, top-K,
 * y = Σ_{e∈E} s_e ReLU(x W1[e]) W2[e]; no biases. The entropy regulariser γ·Σ_e p_e log p_e of §1.3 is computed in
 * training forward ({@link #entropyLoss()}) and its gradient added in backward.
 *
 * <p>Sparse compute only (paper.md §1.5, "ND4J reference algorithm"): the (token, slot) pairs are bucketed by
 * expert (stable counting sort); then, expert by expert ({@link ExpertLoop}: experts in parallel on the cores,
 * one BLAS thread each), its token rows are gathered into a small contiguous buffer (still in cache when the GEMMs
 * read it), one GEMM pair runs on it and on views of keys[e]/values[e] in the flat parameter buffer, writing the
 * expert's output rows into its range of a dispatch buffer; finally each token
 * pulls and sums its K rows (Java, race-free; ND4J's scatter_add races, nd4j-only.md §6). Cost ∝ N·K·d·G.
 *
 * <p>Layer conventions of {@code sigmoe.nn}: x is c-order [N, d]; forward keeps a reference to x until backward;
 * backward adds into the parameter gradients and returns dx in a layer-owned buffer.
 */
public final class SigmaMoeFfn {
    public final int dModel;
    public final int nExperts;
    public final int expertSize;
    public final int topK;
    public final double expertDropout;
    public final double entropyReg;
    public final Param keys;      // W1 [N_E, d, G]
    public final Param values;    // W2 [N_E, G, d]
    public final Param expertSel; // W3 [N_E, d]

    private final Routing routing;
    private final EntropyReg entropy;
    private final MoeWorkspace ws;
    private final MoeWorkspace.Grow hBuf = new MoeWorkspace.Grow();
    private final MoeWorkspace.Grow yBuf = new MoeWorkspace.Grow();
    private final MoeWorkspace.Grow dxBuf = new MoeWorkspace.Grow();
    private INDArray[] w1, w2, gw1, gw2; // per-expert views of the flat parameter / gradient buffers
    private INDArray boundTo;            // keys.value() the views were made for
    private ExpertStats stats;
    private boolean collectStats;
    MoeProfile profile; // benchmark switch: per-phase wall time, null = off
    private Selection selection;  // null = σ-MoE's sigmoid top-K; otherwise an ablation/baseline rule (paper.md §2.3)
    private boolean selRegActive;
    private double selReg;
    private double scoreDropout;  // "standard dropout" ablation: dropout p on s·ReLU(x W1) (paper.md §1.2)
    private boolean scoreDropActive;
    boolean unitGate; // test switch: every gate = 1 and no gradient to the selection (N_E = K = 1 is then a plain FFN)

    private INDArray x, h; // cached by forward for backward (x: the caller's tensor, referenced)
    private int n = -1;

    /**
     * Registers {@code {prefix}.keys}, {@code .values}, {@code .expert_sel} in {@code store} (formats.md §2).
     *
     * @param expertDropout δ in [0, 1): per (token, expert) probability that the expert cannot be selected
     * @param entropyReg    γ >= 0; 0 turns the regulariser off
     * @param workspace     scratch shared with other σ-MoE layers, or null for a private one
     */
    public SigmaMoeFfn(ParamStore store, String prefix, int dModel, int nExperts, int expertSize, int topK,
                       double expertDropout, double entropyReg, MoeWorkspace workspace) {
        if (dModel < 1) throw new IllegalArgumentException(prefix + ": d_model must be >= 1, got " + dModel);
        if (nExperts < 1) throw new IllegalArgumentException(prefix + ": n_experts must be >= 1, got " + nExperts);
        if (expertSize < 1) throw new IllegalArgumentException(prefix + ": expert_size must be >= 1, got " + expertSize);
        if (topK < 1 || topK > nExperts)
            throw new IllegalArgumentException(prefix + ": top_k must be in [1, n_experts=" + nExperts + "], got " + topK);
        if (!(expertDropout >= 0 && expertDropout < 1))
            throw new IllegalArgumentException(prefix + ": expert_dropout must be in [0, 1), got " + expertDropout);
        if (!(entropyReg >= 0)) throw new IllegalArgumentException(prefix + ": entropy_reg must be >= 0, got " + entropyReg);
        this.dModel = dModel;
        this.nExperts = nExperts;
        this.expertSize = expertSize;
        this.topK = topK;
        this.expertDropout = expertDropout;
        this.entropyReg = entropyReg;
        this.keys = store.add(prefix + ".keys", nExperts, dModel, expertSize);
        this.values = store.add(prefix + ".values", nExperts, expertSize, dModel);
        this.expertSel = store.add(prefix + ".expert_sel", nExperts, dModel);
        this.routing = new Routing(nExperts, topK);
        this.entropy = new EntropyReg(nExperts);
        this.ws = workspace != null ? workspace : new MoeWorkspace();
    }

    public SigmaMoeFfn(ParamStore store, String prefix, int dModel, int nExperts, int expertSize, int topK,
                       double expertDropout, double entropyReg) {
        this(store, prefix, dModel, nExperts, expertSize, topK, expertDropout, entropyReg, null);
    }

    /** paper.md §1.4: plain normal init with the pre-LN scale √(2/L); W3 rows renormalised, std kept. */
    public void initialise(Rng rng, int nLayers, boolean w2FromExpertSize) {
        MoeInit.initialise(this, rng, nLayers, w2FromExpertSize);
    }

    /** As above with the Switch baseline's knobs: std × √initScale, W3 rows renormalised only if {@code normSelRows}. */
    public void initialise(Rng rng, int nLayers, boolean w2FromExpertSize, double initScale, boolean normSelRows) {
        MoeInit.initialise(this, rng, nLayers, w2FromExpertSize, initScale, normSelRows);
    }

    /** Replaces the sigmoid top-K by another selection rule (null restores σ-MoE's). */
    public void setSelection(Selection s) {
        if (s != null && unitGate) throw new IllegalStateException("unit-gate test switch and a custom selection do not mix");
        selection = s;
    }

    public Selection selection() { return selection; }

    /** Rows per sequence of the next inputs (rows ordered b·T + t), for rules that need [B, T] (S-BASE). */
    public void setSequenceLength(int seqLen) {
        if (selection != null) selection.setSequenceLength(seqLen);
    }

    /**
     * The "standard dropout" ablation ([M] kvmem.dropout = score): in training, inverted dropout with probability p
     * on the gated hidden units u = s·ReLU(x W1) of the selected experts. 0 (the default) turns it off.
     */
    public void setScoreDropout(double p) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("score dropout must be in [0, 1), got " + p);
        scoreDropout = p;
    }

    /**
     * y [N, d] for x [N, d]. In training, expert dropout draws from {@code rng} (may be null when δ = 0 or in eval)
     * and the entropy regulariser is evaluated.
     */
    public INDArray forward(INDArray x, boolean training, Rng rng) {
        bindViews();
        DataType dt = keys.value().dataType();
        if (x.rank() != 2 || x.size(1) != dModel)
            throw new IllegalArgumentException("σ-MoE input must be [N, d_model=" + dModel + "], got "
                    + java.util.Arrays.toString(x.shape()));
        if (x.dataType() != dt)
            throw new IllegalArgumentException("σ-MoE input is " + x.dataType() + " but the parameters are " + dt);
        boolean drop = training && expertDropout > 0;
        if (drop && rng == null) throw new IllegalArgumentException("training with expert dropout needs an Rng");
        scoreDropActive = training && scoreDropout > 0;
        if (scoreDropActive && rng == null) throw new IllegalArgumentException("training with score dropout needs an Rng");
        int n = Math.toIntExact(x.size(0));
        if (n < 1) throw new IllegalArgumentException("σ-MoE input has no rows");
        Mem.of(x); // rejects views that are not contiguous c-order rows (the row kernels address rows by stride d)
        this.x = x;
        this.n = n;
        MoeProfile pr = profile;
        if (pr != null) pr.start();
        INDArray z = ws.logits.view(dt, n, nExperts); // scratch: read only within forward
        Nd4j.gemm(x, expertSel.value(), z, false, true, 1.0, 0.0);
        if (pr != null) pr.lap(MoeProfile.Phase.ROUTER_GEMM);
        Mem zm = Mem.of(z);
        routing.select(zm, n, drop ? expertDropout : 0, rng, unitGate, selection, training);
        if (pr != null) pr.lap(MoeProfile.Phase.SELECT);
        if (training && entropyReg > 0 && (selection == null || selection.usesEntropyReg())) entropy.forward(zm, n);
        else entropy.off();
        selRegActive = training && entropyReg > 0 && selection != null;
        selReg = selRegActive ? selection.regForward(zm, n, nExperts, topK, routing.sel, routing.gate) : 0;
        Reference.reachabilityFence(z); // z stays alive through the last use of its view zm, above
        if (pr != null) pr.lap(MoeProfile.Phase.ENTROPY);

        int rows = routing.rows;
        h = hBuf.view(dt, rows, expertSize);
        INDArray y = yBuf.view(dt, n, dModel);
        INDArray disp = ws.dispatch.view(dt, rows, dModel);
        long[] dropBits = scoreDropActive ? drawScoreDrops(rows, rng) : null;
        ExpertLoop.forward(experts(pr), x, h, disp, dropBits, 1.0 / (1.0 - scoreDropout));
        if (pr != null) pr.lap(MoeProfile.Phase.EXPERTS);
        RowOps.combine(disp, routing.slotRow, n, topK, y, dModel, false);
        if (pr != null) pr.lap(MoeProfile.Phase.COMBINE);
        if (collectStats) {
            stats.addRouting(routing);
            for (int e = 0; e < nExperts; e++) {
                int r0 = routing.offsets[e], cnt = routing.offsets[e + 1] - r0;
                if (cnt > 0)
                    RowOps.countPositive(MoeWorkspace.rows(h, r0, r0 + cnt), cnt, expertSize, stats.activeChannelsRaw(), e * expertSize);
            }
            if (pr != null) pr.lap(MoeProfile.Phase.STATS);
        }
        return y;
    }

    /** dx [N, d] for dy [N, d]; adds dW1, dW2, dW3 (and the entropy regulariser's share) into the gradients. */
    public INDArray backward(INDArray dy) {
        if (n < 0) throw new IllegalStateException("σ-MoE backward called before forward");
        DataType dt = keys.value().dataType();
        if (dy.rank() != 2 || dy.size(0) != n || dy.size(1) != dModel || dy.dataType() != dt)
            throw new IllegalArgumentException("σ-MoE output gradient must be " + dt + " [" + n + ", " + dModel + "], got "
                    + dy.dataType() + " " + java.util.Arrays.toString(dy.shape()));
        Mem.of(dy); // contiguous c-order rows only
        int rows = routing.rows;
        MoeProfile pr = profile;
        if (pr != null) pr.start();
        INDArray disp = ws.dispatch.view(dt, rows, dModel);
        double[] dgate = ws.dgate = MoeWorkspace.grow(ws.dgate, rows);
        ExpertLoop.backward(experts(pr), x, dy, h, disp, unitGate ? null : dgate,
                scoreDropActive ? 1.0 / (1.0 - scoreDropout) : 1.0);
        if (pr != null) pr.lap(MoeProfile.Phase.B_EXPERTS);
        // gradient at the logits: gate path (selected experts only, through the sigmoid) plus the regulariser
        int nz = n * nExperts;
        double[] dzJava = ws.dz = MoeWorkspace.grow(ws.dz, nz);
        java.util.Arrays.fill(dzJava, 0, nz, 0.0);
        if (selection != null) {
            int nk = n * topK;
            double[] dgateSlot = ws.dgateSlot = MoeWorkspace.grow(ws.dgateSlot, nk);
            java.util.Arrays.fill(dgateSlot, 0, nk, 0.0);
            for (int r = 0; r < rows; r++) dgateSlot[routing.rowSlot[r]] = dgate[r];
            selection.gateBackward(n, nExperts, topK, routing.sel, routing.gate, dgateSlot, dzJava);
            if (selRegActive) selection.addRegGradient(dzJava, entropyReg);
        } else if (!unitGate) {
            for (int r = 0; r < rows; r++) {
                int slot = routing.rowSlot[r];
                double g = routing.gate[slot];
                dzJava[(slot / topK) * nExperts + routing.sel[slot]] += dgate[r] * g * (1 - g);
            }
        }
        if (entropy.active()) entropy.addGradient(dzJava, entropyReg);
        INDArray dz = ws.logitsGrad.view(dt, n, nExperts);
        Mem dzm = Mem.of(dz);
        for (int i = 0; i < nz; i++) dzm.set(i, dzJava[i]);
        Reference.reachabilityFence(dz);
        if (pr != null) pr.lap(MoeProfile.Phase.B_DZ);
        INDArray dx = dxBuf.view(dt, n, dModel);
        Nd4j.gemm(dz, x, expertSel.grad(), true, false, 1.0, 1.0);    // dW3 += dzᵀ x
        Nd4j.gemm(dz, expertSel.value(), dx, false, false, 1.0, 0.0); // dx = dz W3
        if (pr != null) pr.lap(MoeProfile.Phase.B_ROUTER_GEMM);
        RowOps.combine(disp, routing.slotRow, n, topK, dx, dModel, true);
        if (pr != null) pr.lap(MoeProfile.Phase.B_COMBINE);
        return dx;
    }

    /** L = Σ_e p_e log p_e of the last training forward (unweighted; the model adds γ·Σ_layers L); 0 otherwise. */
    public double entropyLoss() { return entropy.loss(); }

    /**
     * The unweighted balancing loss of the last training forward: L of §1.3 plus the selection rule's own (e.g. the
     * Switch loss); the model adds γ·this. Equals {@link #entropyLoss()} for σ-MoE.
     */
    public double regLoss() { return entropy.loss() + (selRegActive ? selReg : 0); }

    /** Whether the entropy regulariser ran in the last forward (false in eval, for γ = 0, or for a rule with its own). */
    public boolean entropyActive() { return entropy.active(); }

    /** The regulariser's statistics and override hooks for a distributed trainer (see {@link EntropyReg}). */
    public EntropyReg entropy() { return entropy; }

    /** Turns expert-usage accumulation in forward on or off (off costs nothing). */
    public void setCollectStats(boolean on) {
        if (on && stats == null) stats = new ExpertStats(nExperts, expertSize);
        collectStats = on;
    }

    /** The accumulated statistics (created on first use; {@link ExpertStats#clear()} to restart). */
    public ExpertStats stats() {
        if (stats == null) stats = new ExpertStats(nExperts, expertSize);
        return stats;
    }

    /** Selected expert of slot t·K + j of the last forward, or -1 for an empty slot. */
    public int selected(int token, int slot) { return routing.sel[token * topK + slot]; }

    /** Gate value of slot t·K + j of the last forward (0 for an empty slot). */
    public double gate(int token, int slot) { return routing.gate[token * topK + slot]; }

    /** Whether expert e was dropped for token t in the last training forward with δ > 0. */
    boolean dropped(int token, int e) { return routing.dropped[token * nExperts + e]; }

    /**
     * Activation memory: bytes this layer holds from its forward until its backward for its own backward, i.e. the
     * hidden units H [N·K, G], the routing arrays (selected experts, gates, dispatch order, expert-dropout mask) and
     * the entropy regulariser's softmax [N, N_E]. Not counted: the input x (the caller's tensor, referenced), the
     * output y and input gradient dx ({@link #outputBytes()}: [N, d] each, the same for every FFN) and the scratch
     * {@link #workspace()} (dead between forward and backward, shared by all σ-MoE layers of a model).
     */
    public long cachedBytes() {
        long routingBytes = (long) routing.sel.length * (4 + 8 + 4) + (long) routing.rowToken.length * (4 + 4 + 8)
                + (long) routing.dropped.length + 4L * routing.offsets.length;
        return hBuf.bytes() + routingBytes + 8L * entropy.softmaxCapacity();
    }

    /** Bytes of the layer-owned output y and input gradient dx buffers ([N, d] each). */
    public long outputBytes() { return yBuf.bytes() + dxBuf.bytes(); }

    /** The scratch workspace (shareable between layers). */
    public MoeWorkspace workspace() { return ws; }

    /**
     * The score-dropout mask of the hidden units of all dispatch rows, one bit per unit (1 = dropped), drawn from rng
     * in dispatch-row-major order: expert after expert, as a sequential loop over the experts would draw it.
     */
    private long[] drawScoreDrops(int rows, Rng rng) {
        long units = (long) rows * expertSize;
        long[] bits = ws.dropBits;
        int words = Math.toIntExact((units + 63) >>> 6);
        if (bits.length < words) bits = ws.dropBits = new long[words];
        java.util.Arrays.fill(bits, 0, words, 0L);
        for (long i = 0; i < units; i++) if (rng.nextFloat() < scoreDropout) bits[(int) (i >>> 6)] |= 1L << (i & 63);
        return bits;
    }

    private ExpertLoop.Experts experts(MoeProfile pr) {
        return new ExpertLoop.Experts(dModel, expertSize, routing, w1, w2, gw1, gw2, ws, pr);
    }

    private void bindViews() {
        INDArray kv = keys.value();
        if (boundTo == kv) return;
        DataType dt = kv.dataType();
        long de = (long) dModel * expertSize;
        w1 = new INDArray[nExperts];
        w2 = new INDArray[nExperts];
        gw1 = new INDArray[nExperts];
        gw2 = new INDArray[nExperts];
        for (int e = 0; e < nExperts; e++) {
            w1[e] = slice(kv, e * de, dModel, expertSize, dt);
            gw1[e] = slice(keys.grad(), e * de, dModel, expertSize, dt);
            w2[e] = slice(values.value(), e * de, expertSize, dModel, dt);
            gw2[e] = slice(values.grad(), e * de, expertSize, dModel, dt);
        }
        boundTo = kv;
    }

    private static INDArray slice(INDArray base, long off, int r, int c, DataType dt) {
        return Nd4j.create(base.data(), new long[] {r, c}, new long[] {c, 1}, base.offset() + off, 'c', dt);
    }
}
