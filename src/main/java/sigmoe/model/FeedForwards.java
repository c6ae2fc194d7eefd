package sigmoe.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.DenseFfn;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;
import sigmoe.nn.moe.SigmaMoeFfn;

/** Builds the FFN variant a configuration names, under the checkpoint prefix {@code layers.i.ffn}. */
public final class FeedForwards {
    private FeedForwards() {}

    public static FeedForward create(ParamStore ps, int layer, ModelConfig cfg) {
        String prefix = "layers." + layer + ".ffn";
        return switch (cfg.ffn()) {
            case DENSE -> new Dense(new DenseFfn(ps, prefix, cfg.dModel(), cfg.dFf(), cfg.dropout()));
            case SIGMA_MOE -> new SigmaMoe(new SigmaMoeFfn(ps, prefix, cfg.dModel(), cfg.nExperts(), cfg.expertSize(),
                    cfg.topK(), cfg.expertDropout(), cfg.entropyReg()), cfg.w2InitFromExpertSize());
        };
    }

    /** The dense baseline: W2 Dropout(ReLU(W1 x + b1)) + b2. */
    public record Dense(DenseFfn ffn) implements FeedForward {
        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return ffn.forward(x, training, rng); }
        @Override public INDArray backward(INDArray dy) { return ffn.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { ffn.init(rng, nLayers); }
        @Override public double regLoss() { return 0; }
    }

    /** σ-MoE; its regulariser is γ·Σ p log p of the batch-mean selection softmax (paper.md §1.3). */
    public record SigmaMoe(SigmaMoeFfn moe, boolean w2FromExpertSize) implements FeedForward {
        @Override public INDArray forward(INDArray x, boolean training, Rng rng) { return moe.forward(x, training, rng); }
        @Override public INDArray backward(INDArray dy) { return moe.backward(dy); }
        @Override public void initialise(Rng rng, int nLayers) { moe.initialise(rng, nLayers, w2FromExpertSize); }
        @Override public double regLoss() { return moe.entropyReg * moe.entropyLoss(); }
    }
}
