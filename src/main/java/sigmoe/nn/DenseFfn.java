package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense baseline feed-forward block {@code y = W2 · dropout(ReLU(W1 x + b1)) + b2} (paper.md §3.1: dropout on
 * the hidden ReLU units). Tensors under the given prefix ({@code layers.i.ffn}): {@code .w1.weight} [d_ff, d],
 * {@code .w1.bias} [d_ff], {@code .w2.weight} [d, d_ff], {@code .w2.bias} [d]. The residual add and the dropout
 * on the block output belong to the caller (the Transformer-XL layer).
 */
public final class DenseFfn {
    public final int d;
    public final int dFf;
    public final Linear w1;
    public final Linear w2;
    private final Dropout hiddenDropout;
    private INDArray hidden;

    public DenseFfn(ParamStore ps, String prefix, int d, int dFf, double dropout) {
        this.d = d;
        this.dFf = dFf;
        this.w1 = new Linear(ps, prefix + ".w1", d, dFf, true);
        this.w2 = new Linear(ps, prefix + ".w2", dFf, d, true);
        this.hiddenDropout = new Dropout(ps.dtype(), dropout);
    }

    /** x [N, d] → y [N, d]; hidden dropout only when training (rng may be null otherwise). */
    public INDArray forward(INDArray x, boolean training, Rng rng) {
        hidden = w1.forward(x);
        Kernels.reluInPlace(hidden);
        return w2.forward(hiddenDropout.forward(hidden, training, rng));
    }

    /** Accumulates the four parameter gradients and returns dx [N, d]. */
    public INDArray backward(INDArray dy) {
        if (hidden == null) throw new IllegalStateException(w1.weight.name + ": backward before forward");
        INDArray dHidden = hiddenDropout.backward(w2.backward(dy));
        // dHidden is w2's or the dropout's own buffer, so masking it in place is safe
        Kernels.reluBackwardInPlace(dHidden, hidden);
        return w1.backward(dHidden);
    }

    /** Truncated normal with empirical std sqrt(2/(n_layers·fan_in)), biases 0 (paper.md §3.4). */
    public void init(Rng rng, int nLayers) {
        w1.initPreLn(rng, nLayers);
        w2.initPreLn(rng, nLayers);
    }
}
