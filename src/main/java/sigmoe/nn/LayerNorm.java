package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Affine LayerNorm over the last dimension, PyTorch semantics (population variance, eps inside the square root):
 * {@code prefix.weight} (γ) and {@code prefix.bias} (β), both [d].
 *
 * <p>forward caches x̂ (in a layer-owned buffer) and μ, 1/σ per row; backward needs only those, so the caller may
 * update x in place (residual adds) before calling backward. The paper applies the same LN1 to the XL memory
 * and to the segment (formats.md §3): {@link #twin()} gives a second application of the same γ, β with its own
 * buffers, and both backward passes add into the same gradients.
 */
public final class LayerNorm {
    public static final double DEFAULT_EPS = 1e-5;

    public final int d;
    public final double eps;
    public final Param weight;
    public final Param bias;
    private final ParamStore ps;
    private final RowBuffer y;
    private final RowBuffer xhat;
    private final RowBuffer dx;
    private double[] mean = new double[0];
    private double[] rstd = new double[0];
    private int n = -1;

    public LayerNorm(ParamStore ps, String prefix, int d) { this(ps, prefix, d, DEFAULT_EPS); }

    public LayerNorm(ParamStore ps, String prefix, int d, double eps) {
        this(ps.add(prefix + ".weight", d), ps.add(prefix + ".bias", d), ps, d, eps);
    }

    private LayerNorm(Param weight, Param bias, ParamStore ps, int d, double eps) {
        if (d < 1) throw new IllegalArgumentException(weight.name + ": LayerNorm width must be >= 1, got " + d);
        if (!(eps > 0)) throw new IllegalArgumentException(weight.name + ": layer_norm_eps must be > 0, got " + eps);
        this.d = d;
        this.eps = eps;
        this.weight = weight;
        this.bias = bias;
        this.y = new RowBuffer(ps.dtype(), d);
        this.xhat = new RowBuffer(ps.dtype(), d);
        this.dx = new RowBuffer(ps.dtype(), d);
        this.ps = ps;
    }

    /** Another application of the same parameters with its own buffers (LN1 on the memory, formats.md §3). */
    public LayerNorm twin() { return new LayerNorm(weight, bias, ps, d, eps); }

    /** y = LN(x) for x [N, d], into this layer's buffer. */
    public INDArray forward(INDArray x) {
        if (Kernels.cols(x) != d)
            throw new IllegalArgumentException(weight.name + ": input has " + Kernels.cols(x) + " columns, expected " + d);
        n = Kernels.rows(x);
        if (mean.length < n) { mean = new double[n]; rstd = new double[n]; }
        INDArray out = y.rows(n);
        LayerNormKernels.layerNormForward(x, weight.value(), bias.value(), eps, out, xhat.rows(n), mean, rstd);
        return out;
    }

    /** Adds dγ, dβ into the gradients and returns dx [N, d] in this layer's buffer. */
    public INDArray backward(INDArray dy) {
        if (n < 0) throw new IllegalStateException(weight.name + ": backward before forward");
        if (Kernels.rows(dy) != n || Kernels.cols(dy) != d)
            throw new IllegalArgumentException(weight.name + ": output gradient must be " + n + "x" + d);
        INDArray g = dx.rows(n);
        LayerNormKernels.layerNormBackward(dy, xhat.rows(n), rstd, weight.value(), g, weight.grad(), bias.grad());
        return g;
    }

    /** γ = 1, β = 0 (paper.md §3.4). */
    public void init() {
        Init.ones(weight.value());
        Init.zeros(bias.value());
    }

    /** Row means of the last forward (valid for its N rows). */
    public double[] mean() { return mean; }

    /** Row 1/σ = 1/sqrt(var + eps) of the last forward. */
    public double[] rstd() { return rstd; }
}
