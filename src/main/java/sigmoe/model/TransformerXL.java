package sigmoe.model;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Dropout;
import sigmoe.nn.Embedding;
import sigmoe.nn.Kernels;
import sigmoe.nn.LayerNorm;
import sigmoe.nn.LossSum;
import sigmoe.nn.OutputLoss;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.RowBuffer;

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
    public void resetMemory() { memLen = 0; memBatch = -1; }

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
        lastReg = 0;
        for (int l = 0; l < blocks.length; l++) {
            blockInputs[l] = h;
            INDArray mem = memLen > 0 ? memA[l].rows(batch * memLen) : null;
            h = blocks[l].forward(h, mem, batch, memLen, seg, training, rng);
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
        memLen = keep;
        memBatch = batch;
    }

    /**
     * Backward of {@code ceScale · CE_sum + Σ_l γ·L_l}: use ceScale = 1 / scored tokens for the mean cross-entropy.
     * Adds every gradient into {@code params.grads()} (zero them before the step).
     */
    public void backward(double ceScale) {
        INDArray g = finalNorm.backward(outDrop.backward(output.backward(ceScale)));
        for (int l = blocks.length - 1; l >= 0; l--) g = blocks[l].backward(g);
        embedding.backward(g);
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
