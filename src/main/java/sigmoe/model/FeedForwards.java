package sigmoe.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.DenseFfn;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.moe.Selection;
import sigmoe.nn.moe.SigmaMoeFfn;
import sigmoe.nn.variants.DenseTopkFfn;
import sigmoe.nn.variants.ProductKeyFfn;
import sigmoe.nn.variants.SinkhornSelection;
import sigmoe.nn.variants.SoftmaxSelection;
import sigmoe.nn.variants.SwitchSelection;

/** Builds the FFN variant a configuration names, under the checkpoint prefix {@code layers.i.ffn}. */
public final class FeedForwards {
    private FeedForwards() {}

    public static FeedForward create(ParamStore ps, int layer, ModelConfig cfg) {
        String prefix = "layers." + layer + ".ffn";
        FfnOptions o = cfg.options();
        if (cfg.isMoe()) {
            SigmaMoeFfn moe = new SigmaMoeFfn(ps, prefix, cfg.dModel(), cfg.nExperts(), cfg.expertSize(), cfg.topK(),
                    cfg.expertDropout(), cfg.entropyReg());
            moe.setSelection(selection(cfg.ffn(), o));
            moe.setScoreDropout(o.scoreDropout());
            return new SigmaMoe(moe, cfg.w2InitFromExpertSize(), o.initScale(), o.normSelInit());
        }
        return switch (cfg.ffn()) {
            case DENSE -> new Dense(new DenseFfn(ps, prefix, cfg.dModel(), cfg.dFf(), cfg.dropout()));
            case DENSE_TOPK -> new DenseTopk(new DenseTopkFfn(ps, prefix, cfg.dModel(), cfg.dFf(), o.topkActivation(), cfg.dropout()));
            case PKM -> new Pkm(new ProductKeyFfn(ps, prefix, cfg.dModel(), o.pkmKeys(), o.pkmHeads(), o.pkmSoftmax()),
                    o.pkmValueInitDense());
            default -> throw new IllegalStateException("no dense FFN for " + cfg.ffn().id);
        };
    }

    /** The selection rule of a MoE kind; null = σ-MoE's sigmoid top-K. */
    static Selection selection(FfnKind k, FfnOptions o) {
        return switch (k) {
            case SIGMA_MOE -> null;
            case MOE_SOFTMAX -> new SoftmaxSelection(false, false);
            case MOE_SOFTMAX_RENORM -> new SoftmaxSelection(true, o.regAsCode());
            case SWITCH -> new SwitchSelection(o.regAsCode());
            case S_BASE -> new SinkhornSelection(o.sinkhornIters());
            default -> throw new IllegalStateException(k.id + " is not a MoE kind");
        };
    }

    /** The dense baseline: W2 Dropout(ReLU(W1 x + b1)) + b2. */
    public record Dense(DenseFfn ffn) implements FeedForward {
        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return ffn.forward(x, training, rng); }
        @Override public INDArray backward(INDArray dy) { return ffn.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { ffn.init(rng, nLayers); }
        @Override public double regLoss() { return 0; }
    }

    /** Top-K activation on the dense FFN (paper.md §2.1). */
    public record DenseTopk(DenseTopkFfn ffn) implements FeedForward {
        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return ffn.forward(x, training, rng); }
        @Override public INDArray backward(INDArray dy) { return ffn.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { ffn.init(rng, nLayers); }
        @Override public double regLoss() { return 0; }
    }

    /** Product-Key Memory, dense product-key path (paper.md §2.2); no dropout inside, no regulariser. */
    public record Pkm(ProductKeyFfn ffn, boolean valueInitDense) implements FeedForward {
        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return ffn.forward(x); }
        @Override public INDArray backward(INDArray dy) { return ffn.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { ffn.init(rng, nLayers, valueInitDense); }
        @Override public double regLoss() { return 0; }
    }

    /**
     * σ-MoE and the MoE baselines (the layer's {@link SigmaMoeFfn#selection()} tells which); the regulariser is
     * γ·L with L the entropy of §1.3 or the rule's own (Switch loss, the renorm slot-entropy quirk).
     */
    public record SigmaMoe(SigmaMoeFfn moe, boolean w2FromExpertSize, double initScale, boolean normSelInit) implements FeedForward {
        public SigmaMoe(SigmaMoeFfn moe, boolean w2FromExpertSize) { this(moe, w2FromExpertSize, 1.0, true); }

        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return moe.forward(x, training, rng); }
        @Override public INDArray backward(INDArray dy) { return moe.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { moe.initialise(rng, nLayers, w2FromExpertSize, initScale, normSelInit); }
        @Override public double regLoss() { return moe.entropyReg * moe.regLoss(); }
        @Override public void setSequenceLength(int seqLen) { moe.setSequenceLength(seqLen); }
    }
}
