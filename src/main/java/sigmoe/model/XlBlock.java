package sigmoe.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Dropout;
import sigmoe.nn.Kernels;
import sigmoe.nn.LayerNorm;
import sigmoe.nn.ParamStore;
import sigmoe.nn.RelativeAttention;
import sigmoe.nn.Rng;
import sigmoe.nn.RowBuffer;

/**
 * One pre-LN Transformer-XL layer (formats.md §3, paper.md §3.1):
 * <pre>
 *   src = LN1(concat_time(mem, h))          the same LN1 on memory and segment
 *   h1  = h  + Dropout(RelAttn(src))         queries are the segment rows
 *   out = h1 + Dropout(FFN(LN2(h1)))
 * </pre>
 * The memory rows are detached inputs of this layer from earlier segments: their gradient is dropped, but LN1's
 * weights still receive the gradient that flows through them (as in PyTorch).
 */
final class XlBlock {
    final LayerNorm norm1;
    final RelativeAttention attn;
    final LayerNorm norm2;
    final FeedForward ffn;
    private final Dropout dropAttn;
    private final Dropout dropFfn;
    private final int d;
    private final RowBuffer cat, h1, out, dh1, dh;
    private int batch, mem, seg;

    XlBlock(ParamStore ps, int i, ModelConfig cfg, FeedForward ffn) {
        String p = "layers." + i;
        this.d = cfg.dModel();
        this.norm1 = new LayerNorm(ps, p + ".norm1", d, cfg.layerNormEps());
        this.attn = new RelativeAttention(ps, p + ".attn", d, cfg.nHeads(), cfg.headDim());
        this.norm2 = new LayerNorm(ps, p + ".norm2", d, cfg.layerNormEps());
        this.ffn = ffn;
        this.dropAttn = new Dropout(ps.dtype(), cfg.dropout());
        this.dropFfn = new Dropout(ps.dtype(), cfg.dropout());
        this.cat = new RowBuffer(ps.dtype(), d);
        this.h1 = new RowBuffer(ps.dtype(), d);
        this.out = new RowBuffer(ps.dtype(), d);
        this.dh1 = new RowBuffer(ps.dtype(), d);
        this.dh = new RowBuffer(ps.dtype(), d);
    }

    void initialise(Rng rng, int nLayers) {
        norm1.init();
        attn.initialise(rng, nLayers);
        norm2.init();
        ffn.initialise(rng, nLayers);
    }

    /**
     * @param h      the layer input [B·T, d]
     * @param memory the layer's memory [B·M, d] (ignored when M = 0)
     */
    INDArray forward(INDArray h, INDArray memory, int batch, int mem, int seg, boolean training, Rng rng) {
        this.batch = batch;
        this.mem = mem;
        this.seg = seg;
        int len = mem + seg;
        INDArray src = cat.rows(batch * len);
        for (int b = 0; b < batch; b++) {
            if (mem > 0) Kernels.copyRows(memory, b * mem, src, b * len, mem);
            Kernels.copyRows(h, b * seg, src, b * len + mem, seg);
        }
        INDArray a = dropAttn.forward(attn.forward(norm1.forward(src), batch, mem, seg), training, rng);
        INDArray r1 = h1.rows(batch * seg);
        Kernels.add(h, a, r1);
        ffn.setSequenceLength(seg); // rows are b·seg + t (S-BASE balances each sequence's positions)
        INDArray f = dropFfn.forward(ffn.forward(norm2.forward(r1), training, rng), training, rng);
        INDArray y = out.rows(batch * seg);
        Kernels.add(r1, f, y);
        return y;
    }

    /** Gradient of the layer input from the gradient of its output. */
    INDArray backward(INDArray dOut) {
        int n = batch * seg, len = mem + seg;
        INDArray g1 = dh1.rows(n);
        Kernels.add(dOut, norm2.backward(ffn.backward(dropFfn.backward(dOut))), g1);
        INDArray dSrc = norm1.backward(attn.backward(dropAttn.backward(g1)));
        INDArray g = dh.rows(n);
        for (int b = 0; b < batch; b++) Kernels.copyRows(dSrc, b * len + mem, g, b * seg, seg);
        Kernels.add(g, g1, g);
        return g;
    }
}
