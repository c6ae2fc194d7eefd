package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The output layer and the language-model loss: {@code logits = x W_outᵀ + b_out} ({@code prefix.weight} [V, d],
 * {@code prefix.bias} [V]; the model uses prefix {@code output}), row softmax, and the SUM of token cross-entropies
 * over scored tokens (target ≥ 0; negative targets are padding and contribute nothing). Sums, not means, so that
 * workers' results add up (the trainer passes scale = 1/(global scored count) to backward for the mean loss).
 *
 * <p>One [N, V] buffer serves logits, probabilities and dLogits in turn (in place), the largest activation of the
 * model (N·V floats), so it is not duplicated. Cross-entropies come from log Σ exp − logit[target] taken before
 * the probabilities overwrite the logits, so a badly wrong token gets a finite, exact loss.
 */
public final class OutputLoss {
    public final int d;
    public final int vocab;
    public final Linear proj;
    private final RowBuffer logits;
    private double[] lse = new double[0];
    private double[] tokenLoss = new double[0];
    private int[] targets = new int[0];
    private int n = -1;
    private boolean backwardReady;

    public OutputLoss(ParamStore ps, String prefix, int d, int vocab) {
        this.d = d;
        this.vocab = vocab;
        this.proj = new Linear(ps, prefix, d, vocab, true);
        this.logits = new RowBuffer(ps.dtype(), vocab);
    }

    /** Sum of cross-entropies over rows with target ≥ 0, and their count; keeps what backward needs. */
    public LossSum forward(INDArray x, int[] targets) {
        int n = Kernels.rows(x);
        if (targets.length < n) throw new IllegalArgumentException(proj.weight.name + ": " + n + " rows but " + targets.length + " targets");
        INDArray z = logits.rows(n);
        proj.forward(x, z);
        if (lse.length < n) { lse = new double[n]; tokenLoss = new double[n]; this.targets = new int[n]; }
        Mem zm = Mem.of(z);
        double[] picked = tokenLoss; // holds logit[target] until the softmax has produced lse
        for (int r = 0; r < n; r++) {
            int t = targets[r];
            if (t >= vocab)
                throw new IllegalArgumentException(proj.weight.name + ": target id " + t + " at row " + r
                        + " is outside the vocabulary [0, " + vocab + "); check the corpus against vocab_size");
            this.targets[r] = t;
            picked[r] = t >= 0 ? zm.get(r * vocab + t) : 0;
        }
        Kernels.softmaxRowsInPlace(z, lse);
        double sum = 0;
        long count = 0;
        for (int r = 0; r < n; r++) {
            if (this.targets[r] < 0) { tokenLoss[r] = 0; continue; }
            tokenLoss[r] = lse[r] - picked[r];
            sum += tokenLoss[r];
            count++;
        }
        this.n = n;
        this.backwardReady = true;
        return new LossSum(sum, count);
    }

    /**
     * Backward of {@code scale · sum-loss}: dLogits = scale·(softmax − onehot(target)) (0 for unscored rows),
     * accumulates dW, db and returns dx [N, d]. Consumes the probabilities (a second call needs a new forward).
     */
    public INDArray backward(double scale) {
        if (!backwardReady) throw new IllegalStateException(proj.weight.name + ": backward needs a preceding forward(x, targets)");
        backwardReady = false;
        INDArray z = logits.rows(n);
        Kernels.scale(z, scale);
        Mem zm = Mem.of(z);
        for (int r = 0; r < n; r++) {
            int t = targets[r], o = r * vocab;
            if (t >= 0) zm.set(o + t, zm.get(o + t) - scale);
            else for (int j = 0; j < vocab; j++) zm.set(o + j, 0);
        }
        return proj.backward(z);
    }

    /** Per-row cross-entropy of the last forward (0 for unscored rows), valid for its N rows. */
    public double[] tokenLosses() { return tokenLoss; }

    /** Softmax probabilities of the last forward ([N, V], valid until backward or the next forward). */
    public INDArray probabilities() {
        if (!backwardReady) throw new IllegalStateException(proj.weight.name + ": no probabilities; run forward first");
        return logits.rows(n);
    }

    /**
     * Inference only (sampling, generation): log-probabilities [N, V] of the next token for every row of x, in
     * this layer's buffer. Invalidates a pending backward.
     */
    public INDArray logProbs(INDArray x) {
        INDArray z = logits.rows(Kernels.rows(x));
        proj.forward(x, z);
        Kernels.logSoftmaxRowsInPlace(z);
        backwardReady = false;
        return z;
    }

    /** PyTorch's default nn.Linear init (paper.md §3.4: the output layer keeps it). */
    public void init(Rng rng) { proj.initTorchDefault(rng); }

    /** The projection's weight [V, d] (checkpoint name {@code output.weight}). */
    public Param weight() { return proj.weight; }

    /** The projection's bias [V] (checkpoint name {@code output.bias}). */
    public Param bias() { return proj.bias; }
}
