package sigmoe.model;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Dropout;
import sigmoe.nn.Embedding;
import sigmoe.nn.Kernels;
import sigmoe.nn.LayerNorm;
import sigmoe.nn.LossSum;
import sigmoe.nn.Mem;
import sigmoe.nn.OutputLoss;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.RowBuffer;
import sigmoe.nn.moe.ExpertStats;

/**
 * The pre-LN Transformer-XL language model of formats.md §3: embedding, L {@link XlBlock}s with per-layer XL memory,
 * final LayerNorm, output projection with bias, softmax cross-entropy. All parameters live in one {@link ParamStore}
 * whose tensor names are the checkpoint's.
 *
 * <p>A step is {@link #forward} then {@link #backward}. The memory (per layer, the detached layer inputs of the last
 * {@code memRows} positions of every stream) is advanced at the end of each forward, so training with memory = one
 * segment and evaluation with memory = M segments use the same code.
 */
public final class TransformerXL {
    public final ModelConfig cfg;
    public final ParamStore params;
    private final Embedding embedding;
    private final Dropout embDrop;
    private final XlBlock[] blocks;
    private final LayerNorm finalNorm;
    private final Dropout outDrop;
    private final OutputLoss output;
    private final RowBuffer[] memA, memB;
    private final INDArray[] blockInputs;
    private int memLen;       // rows per stream currently in memory
    private int memBatch = -1; // streams the memory belongs to
    private int batch, seg;
    private double lastReg;
    private INDArray lastX;
    // the memory before the last forward (still in memB after the swap), so a skipped step can be undone in O(1)
    private int prevMemLen, prevMemBatch;
    private boolean swapped, canRollback;
    private Probe probe;
    private RowBuffer[] diag; // the diagnostic forward's own buffers (allocated on first use)

    public TransformerXL(ModelConfig cfg, DataType dtype) {
        this.cfg = cfg.validate();
        this.params = new ParamStore(dtype);
        this.embedding = new Embedding(params, "embedding", cfg.vocabSize(), cfg.dModel());
        this.embDrop = new Dropout(dtype, cfg.dropout());
        this.blocks = new XlBlock[cfg.nLayers()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = new XlBlock(params, i, cfg, FeedForwards.create(params, i, cfg));
        this.finalNorm = new LayerNorm(params, "final_norm", cfg.dModel(), cfg.layerNormEps());
        this.outDrop = new Dropout(dtype, cfg.dropout());
        this.output = new OutputLoss(params, "output", cfg.dModel(), cfg.vocabSize());
        params.allocate();
        this.memA = new RowBuffer[blocks.length];
        this.memB = new RowBuffer[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            memA[i] = new RowBuffer(dtype, cfg.dModel());
            memB[i] = new RowBuffer(dtype, cfg.dModel());
        }
        this.blockInputs = new INDArray[blocks.length];
    }

    /** The paper's initialisation (paper.md §1.4, §3.4), deterministic in the seed. */
    public void initialise(long seed) {
        Rng rng = new Rng(seed);
        embedding.init(rng);
        for (XlBlock b : blocks) b.initialise(rng, cfg.nLayers());
        finalNorm.init();
        output.init(rng);
        resetMemory();
    }

    /** Forgets the XL memory (start of a pass over the streams). */
    public void resetMemory() { memLen = 0; memBatch = -1; canRollback = false; }

    /**
     * Undoes the memory advance of the last {@link #forward} (a training step that is skipped because its loss or
     * gradient is not finite must not leave its segment, possibly non-finite, in the memory). Without a forward since
     * the last reset or restore, the memory is reset instead.
     */
    public void rollbackMemory() {
        if (!canRollback) { resetMemory(); return; }
        if (swapped) {
            for (int l = 0; l < blocks.length; l++) { RowBuffer t = memA[l]; memA[l] = memB[l]; memB[l] = t; }
        }
        memLen = prevMemLen;
        memBatch = prevMemBatch;
        canRollback = false;
    }

    /** Sees layer outputs as the forward produces them; for fault-injection tests and debugging (null = none). */
    public interface Probe {
        /** {@code layer} is "embedding" or "layers.L" (the block's output); {@code out} may be modified. */
        void after(String layer, INDArray out);
    }

    public void setProbe(Probe p) { probe = p; }

    /** A copy of the XL memory (validation saves and restores it; trainer state checkpoints it). */
    public Memory saveMemory() {
        INDArray[] rows = new INDArray[blocks.length];
        for (int l = 0; l < blocks.length; l++) rows[l] = memLen > 0 ? memA[l].rows(memBatch * memLen).dup() : null;
        return new Memory(memBatch, memLen, rows);
    }

    /** Restores a memory saved with {@link #saveMemory()} (or rebuilt from a trainer-state file). */
    public void restoreMemory(Memory m) {
        if (m.length() == 0) { resetMemory(); return; }
        if (m.layers().length != blocks.length)
            throw new IllegalArgumentException("memory has " + m.layers().length + " layers, the model " + blocks.length);
        for (int l = 0; l < blocks.length; l++) {
            INDArray dst = memA[l].rows(m.batch() * m.length());
            if (dst.length() != m.layers()[l].length())
                throw new IllegalArgumentException("memory of layer " + l + " has " + m.layers()[l].length()
                        + " values, expected " + dst.length());
            dst.assign(m.layers()[l].reshape(dst.shape()));
        }
        memBatch = m.batch();
        memLen = m.length();
        canRollback = false;
    }

    /** XL memory of every layer: {@code layers[l]} is [batch·length, d] (null when length = 0). */
    public record Memory(int batch, int length, INDArray[] layers) {}

    /** Rows of memory per stream now held. */
    public int memoryLength() { return memLen; }

    /**
     * Runs one segment for {@code batch} streams: inputs/targets are [batch·seg] (row b·seg + t; a negative target is
     * not scored). Returns the summed cross-entropy and the number of scored tokens; afterwards the memory holds the
     * last {@code memRows} layer inputs of every stream.
     */
    public Loss forward(int[] inputs, int[] targets, int batch, int seg, int memRows, boolean training, Rng rng) {
        if (memLen > 0 && memBatch != batch)
            throw new IllegalStateException("XL memory holds " + memBatch + " streams, the batch has " + batch + "; reset the memory first");
        this.batch = batch;
        this.seg = seg;
        int n = batch * seg;
        INDArray h = embDrop.forward(embedding.forward(inputs, n), training, rng);
        if (probe != null) probe.after("embedding", h);
        lastReg = 0;
        for (int l = 0; l < blocks.length; l++) {
            blockInputs[l] = h;
            INDArray mem = memLen > 0 ? memA[l].rows(batch * memLen) : null;
            h = blocks[l].forward(h, mem, batch, memLen, seg, training, rng);
            if (probe != null) probe.after("layers." + l, h);
            if (training) lastReg += blocks[l].ffn.regLoss();
        }
        INDArray x = outDrop.forward(finalNorm.forward(h), training, rng);
        lastX = x;
        LossSum r = output.forward(x, targets);
        advanceMemory(memRows);
        return new Loss(r.sum(), r.count(), lastReg);
    }

    /** New memory = the last memRows rows of concat_time(old memory, this segment's layer inputs), per stream. */
    private void advanceMemory(int memRows) {
        prevMemLen = memLen;
        prevMemBatch = memBatch;
        canRollback = true;
        swapped = false;
        int keep = Math.min(memRows, memLen + seg);
        if (keep <= 0) { memLen = 0; return; }
        int fromOld = Math.max(0, keep - seg);
        for (int l = 0; l < blocks.length; l++) {
            INDArray dst = memB[l].rows(batch * keep);
            INDArray old = memLen > 0 ? memA[l].rows(batch * memLen) : null;
            for (int b = 0; b < batch; b++) {
                if (fromOld > 0) Kernels.copyRows(old, b * memLen + memLen - fromOld, dst, b * keep, fromOld);
                Kernels.copyRows(blockInputs[l], b * seg + seg - (keep - fromOld), dst, b * keep + fromOld, keep - fromOld);
            }
            RowBuffer t = memA[l]; memA[l] = memB[l]; memB[l] = t;
        }
        swapped = true;
        memLen = keep;
        memBatch = batch;
    }

    /**
     * Names where a non-finite value first appears when these inputs run over the current memory: the diagnostic
     * forward checks, in order, "embedding", then per layer its memory ("layers.L.memory"), "layers.L.norm1",
     * "layers.L.attn", the residual "layers.L.attn_residual", "layers.L.norm2", "layers.L.ffn" and the block output
     * "layers.L", then "final_norm" and the loss "output". It mirrors {@link XlBlock}'s forward without dropout (which
     * only scales finite values). When every output is finite it names the first layer whose regulariser of the last
     * training forward was not finite, else returns null (the fault was transient or came from outside this model).
     * For a skipped step call {@link #rollbackMemory()} first; the memory is not advanced, expert statistics are
     * not counted, and no backward may follow (the forward caches are overwritten).
     */
    public String firstNonFinite(int[] inputs, int[] targets, int batch, int seg) {
        double[] regs = new double[blocks.length];
        for (int l = 0; l < blocks.length; l++) regs[l] = blocks[l].ffn.regLoss();
        List<double[]> savedStats = new ArrayList<>();
        for (FeedForward f : ffns()) if (f instanceof FeedForwards.SigmaMoe m) savedStats.add(m.moe().stats().toArray());
        try {
            String where = diagnosticForward(inputs, targets, batch, seg);
            if (where != null) return where;
        } finally {
            int i = 0;
            for (FeedForward f : ffns()) {
                if (f instanceof FeedForwards.SigmaMoe m) {
                    ExpertStats st = m.moe().stats();
                    st.clear();
                    st.merge(ExpertStats.fromArray(st.nExperts, st.expertSize, savedStats.get(i++)));
                }
            }
        }
        for (int l = 0; l < blocks.length; l++) if (!Double.isFinite(regs[l])) return "layers." + l + ".ffn (entropy regulariser)";
        return null;
    }

    private String diagnosticForward(int[] inputs, int[] targets, int batch, int seg) {
        if (diag == null) {
            diag = new RowBuffer[4];
            for (int i = 0; i < diag.length; i++) diag[i] = new RowBuffer(params.dtype(), cfg.dModel());
        }
        int n = batch * seg, len = memLen + seg;
        INDArray h = embedding.forward(inputs, n);
        if (probe != null) probe.after("embedding", h);
        if (!finite(h)) return "embedding";
        int hBuf = -1; // which diag buffer holds h (the embedding's own at first)
        for (int l = 0; l < blocks.length; l++) {
            XlBlock b = blocks[l];
            String p = "layers." + l;
            INDArray mem = memLen > 0 ? memA[l].rows(batch * memLen) : null;
            if (mem != null && !finite(mem)) return p + ".memory";
            INDArray src = diag[0].rows(batch * len);
            for (int s = 0; s < batch; s++) {
                if (memLen > 0) Kernels.copyRows(mem, s * memLen, src, s * len, memLen);
                Kernels.copyRows(h, s * seg, src, s * len + memLen, seg);
            }
            INDArray x = b.norm1.forward(src);
            if (!finite(x)) return p + ".norm1";
            INDArray a = b.attn.forward(x, batch, memLen, seg);
            if (!finite(a)) return p + ".attn";
            INDArray r1 = diag[1].rows(n);
            Kernels.add(h, a, r1);
            if (!finite(r1)) return p + ".attn_residual";
            x = b.norm2.forward(r1);
            if (!finite(x)) return p + ".norm2";
            INDArray f = b.ffn.forward(x, false, null);
            if (!finite(f)) return p + ".ffn";
            hBuf = hBuf == 2 ? 3 : 2; // ping-pong: the block output never overwrites its own input
            INDArray y = diag[hBuf].rows(n);
            Kernels.add(r1, f, y);
            if (probe != null) probe.after(p, y);
            if (!finite(y)) return p;
            h = y;
        }
        INDArray x = finalNorm.forward(h);
        if (!finite(x)) return "final_norm";
        LossSum r = output.forward(x, targets);
        return Double.isFinite(r.sum()) ? null : "output";
    }

    private static boolean finite(INDArray a) {
        Mem m = Mem.of(a);
        try {
            for (int i = 0; i < m.length; i++) if (!Double.isFinite(m.get(i))) return false;
            return true;
        } finally {
            Reference.reachabilityFence(a);
        }
    }

    /**
     * Backward of {@code ceScale · CE_sum + Σ_l γ·L_l}: use ceScale = 1 / scored tokens for the mean cross-entropy.
     * Adds every gradient into {@code params.grads()} (zero them before the step).
     */
    public void backward(double ceScale) {
        INDArray g = finalNorm.backward(outDrop.backward(output.backward(ceScale)));
        for (int l = blocks.length - 1; l >= 0; l--) g = blocks[l].backward(g);
        embedding.backward(embDrop.backward(g)); // the embedding's output went through its dropout in forward
    }

    /** The FFN blocks, in layer order (σ-MoE statistics and regulariser hooks). */
    public List<FeedForward> ffns() {
        List<FeedForward> f = new ArrayList<>();
        for (XlBlock b : blocks) f.add(b.ffn);
        return f;
    }

    /** Log-probabilities [B·T, V] of the next token for every row of the last forward (generation; no backward after). */
    public INDArray logProbs() {
        if (lastX == null) throw new IllegalStateException("logProbs before forward");
        return output.logProbs(lastX);
    }

    /** Summed cross-entropy, scored tokens and the γ-weighted regulariser of one forward. */
    public record Loss(double ceSum, long count, double reg) {
        public double meanCe() { return ceSum / Math.max(1, count); }
    }
}
