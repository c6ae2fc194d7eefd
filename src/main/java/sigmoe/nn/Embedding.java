package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Token embedding {@code prefix.weight} [V, d] (the model uses prefix {@code embedding}); not tied to the output
 * layer and not scaled by √d (pre-LN, paper.md §3.1).
 */
public final class Embedding {
    public final int vocab;
    public final int d;
    public final Param weight;
    private final RowBuffer out;
    private int[] ids = new int[0];
    private int n = -1;

    public Embedding(ParamStore ps, String prefix, int vocab, int d) {
        if (vocab < 1 || d < 1) throw new IllegalArgumentException(prefix + ": embedding sizes must be >= 1, got V=" + vocab + " d=" + d);
        this.vocab = vocab;
        this.d = d;
        this.weight = ps.add(prefix + ".weight", vocab, d);
        this.out = new RowBuffer(ps.dtype(), d);
    }

    /** Rows {@code weight[ids[i]]} for i in [0, n) as [n, d]; the ids are copied for backward. */
    public INDArray forward(int[] ids, int n) {
        if (n < 1 || n > ids.length) throw new IllegalArgumentException(weight.name + ": n=" + n + " but " + ids.length + " ids given");
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= vocab)
                throw new IllegalArgumentException(weight.name + ": token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + "); check the corpus vocabulary against the model's vocab_size");
        if (this.ids.length < n) this.ids = new int[n];
        System.arraycopy(ids, 0, this.ids, 0, n);
        this.n = n;
        INDArray y = out.rows(n);
        Kernels.gatherRows(weight.value(), this.ids, n, y);
        return y;
    }

    /** Adds dOut's rows into the gradient rows of their ids; repeated ids accumulate. No input gradient. */
    public void backward(INDArray dOut) {
        if (n < 0) throw new IllegalStateException(weight.name + ": backward before forward");
        if (Kernels.rows(dOut) != n || Kernels.cols(dOut) != d)
            throw new IllegalArgumentException(weight.name + ": output gradient must be " + n + "x" + d);
        Kernels.scatterAddRows(dOut, ids, n, weight.grad());
    }

    /** xavier_uniform (paper.md §3.4). */
    public void init(Rng rng) { Init.xavierUniform(weight.value(), rng); }
}
