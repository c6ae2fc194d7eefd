package sigmoe.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Rng;

/** The FFN sub-block of a Transformer-XL layer, whichever variant the configuration names (dense, σ-MoE, ...). */
public interface FeedForward {
    /** y = FFN(x) for x [N, d] (x is LN2 of the residual stream). */
    INDArray forward(INDArray x, boolean training, Rng rng);

    /** Adds the parameter gradients (and any regulariser gradient) and returns dx. */
    INDArray backward(INDArray dy);

    /** The paper's initialisation of this block. */
    void initialise(Rng rng, int nLayers);

    /** Rows per sequence (T) of the next forward's input, whose rows are ordered b·T + t; S-BASE needs it. */
    default void setSequenceLength(int seqLen) {}

    /** The γ-weighted regularisation loss of the last training forward (0 when the variant has none). */
    double regLoss();
}
