package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The output layer and the language-model loss: {@code logits = x W_outᵀ + b_out} ({@code prefix.weight} [V, d],
 * {@code prefix.bias} [V]; the model uses prefix {@code output}), row softmax, and the SUM of token cross-entropies
 * over scored tokens (target ≥ 0; negative targets are padding and contribute nothing). Sums, not means, so that
 * workers' results add up (the trainer passes scale = 1/(global scored count) to backward for the mean loss).
 *
 * <p>One [N, V] buffer serves the bias-free logits x W_outᵀ and then dLogits (in place), the largest activation of
 * the model (N·V floats), so it is not duplicated. The forward only reads it ({@link LossKernels}: per row the max
 * and log Σ exp of logits + bias); cross-entropies are max + log Σ exp − logit[target], so a badly wrong token gets a
 * finite, exact loss. The backward writes dLogits = scale·(softmax − onehot) over the logits in one pass, with the
 * bias gradient's column sums on the way, then runs the two weight/input GEMMs itself.
 */
public final class OutputLoss {
    public final int d;
    public final int vocab;
    /** Holds the weight and bias; its own forward/backward serve {@link #logProbs} only. */
    public final Linear proj;
    private final RowBuffer logits, dx;
    private INDArray x;
    private double[] rowMax = new double[0], logSum = new double[0];
    private double[] tokenLoss = new double[0];
    private int[] targets = new int[0];
    private int n = -1;
    private boolean backwardReady, holdsProbabilities;

    public OutputLoss(ParamStore ps, String prefix, int d, int vocab) {
        this.d = d;
        this.vocab = vocab;
        this.proj = new Linear(ps, prefix, d, vocab, true);
        this.logits = new RowBuffer(ps.dtype(), vocab);
        this.dx = new RowBuffer(ps.dtype(), d);
    }

    /** Sum of cross-entropies over rows with target ≥ 0, and their count; keeps what backward needs. */
    public LossSum forward(INDArray x, int[] targets) {
        int n = Kernels.rows(x);
        if (targets.length < n) throw new IllegalArgumentException(proj.weight.name + ": " + n + " rows but " + targets.length + " targets");
        if (Kernels.cols(x) != d)
            throw new IllegalArgumentException(proj.weight.name + ": input has " + Kernels.cols(x) + " columns, expected " + d);
        if (x.dataType() != proj.weight.value().dataType())
            throw new IllegalArgumentException(proj.weight.name + ": input is " + x.dataType() + ", parameters " + proj.weight.value().dataType());
        for (int r = 0; r < n; r++)
            if (targets[r] >= vocab)
                throw new IllegalArgumentException(proj.weight.name + ": target id " + targets[r] + " at row " + r
                        + " is outside the vocabulary [0, " + vocab + "); check the corpus against vocab_size");
        INDArray z = logits.rows(n);
        Nd4j.gemm(x, proj.weight.value(), z, false, true, 1.0, 0.0);   // bias folded into the kernels
        if (rowMax.length < n) { rowMax = new double[n]; logSum = new double[n]; tokenLoss = new double[n]; this.targets = new int[n]; }
        System.arraycopy(targets, 0, this.targets, 0, n);
        LossKernels.rowStats(z, proj.bias.value(), rowMax, logSum);
        INDArray bias = proj.bias.value();
        Mem zm = Mem.of(z), bm = Mem.of(bias);
        double sum = 0;
        long count = 0;
        for (int r = 0; r < n; r++) {
            int t = targets[r];
            if (t < 0) { tokenLoss[r] = 0; continue; }
            tokenLoss[r] = rowMax[r] + logSum[r] - (zm.get(r * vocab + t) + bm.get(t));
            sum += tokenLoss[r];
            count++;
        }
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(bias);
        this.x = x;
        this.n = n;
        this.backwardReady = true;
        this.holdsProbabilities = false;
        return new LossSum(sum, count);
    }

    /**
     * Backward of {@code scale · sum-loss}: dLogits = scale·(softmax − onehot(target)) (0 for unscored rows),
     * accumulates dW, db and returns dx [N, d]. Consumes the logits (a second call needs a new forward).
     */
    public INDArray backward(double scale) {
        if (!backwardReady) throw new IllegalStateException(proj.weight.name + ": backward needs a preceding forward(x, targets)");
        backwardReady = false;
        INDArray z = logits.rows(n);
        if (holdsProbabilities) fromProbabilities(z, scale);
        else LossKernels.gradient(z, proj.bias.value(), targets, rowMax, logSum, scale, proj.bias.grad());
        Nd4j.gemm(z, x, proj.weight.grad(), true, false, 1.0, 1.0);    // dW += dLogitsᵀ·x
        return Nd4j.gemm(z, proj.weight.value(), dx.rows(n), false, false, 1.0, 0.0);
    }

    /** The backward's gradient after {@link #probabilities()} turned the buffer into softmax values (tests, eval). */
    private void fromProbabilities(INDArray z, double scale) {
        INDArray dBias = proj.bias.grad();
        Mem zm = Mem.of(z), db = Mem.of(dBias);
        double[] col = new double[vocab];
        for (int r = 0; r < n; r++) {
            int t = targets[r], o = r * vocab;
            for (int j = 0; j < vocab; j++) zm.set(o + j, t < 0 ? 0 : scale * zm.get(o + j));
            if (t >= 0) zm.set(o + t, zm.get(o + t) - scale);
            for (int j = 0; j < vocab; j++) col[j] += zm.get(o + j);
        }
        for (int j = 0; j < vocab; j++) db.add(j, col[j]);
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(dBias);
    }

    /** Per-row cross-entropy of the last forward (0 for unscored rows), valid for its N rows. */
    public double[] tokenLosses() { return tokenLoss; }

    /**
     * Softmax probabilities of the last forward ([N, V], valid until backward or the next forward), computed in place
     * over the logits on the first call; backward still works after it.
     */
    public INDArray probabilities() {
        if (!backwardReady) throw new IllegalStateException(proj.weight.name + ": no probabilities; run forward first");
        INDArray z = logits.rows(n);
        if (!holdsProbabilities) { LossKernels.probabilities(z, proj.bias.value(), rowMax, logSum); holdsProbabilities = true; }
        return z;
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
