package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x Wᵀ (+ b), PyTorch layout: {@code prefix.weight} [out, in], optional {@code prefix.bias} [out].
 * Used for the attention projections q/k/v/r/o (no bias), the dense FFN and the output layer.
 *
 * <p>forward keeps a reference to x (not a copy) for the weight gradient: x must stay unchanged until this layer's
 * backward, which holds for the layer-owned output buffers of the previous layer.
 */
public final class Linear {
    public final int in;
    public final int out;
    public final Param weight;
    public final Param bias;
    private final RowBuffer y;
    private final RowBuffer dx;
    private INDArray x;

    public Linear(ParamStore ps, String prefix, int in, int out, boolean withBias) {
        if (in < 1 || out < 1) throw new IllegalArgumentException(prefix + ": Linear sizes must be >= 1, got in=" + in + " out=" + out);
        this.in = in;
        this.out = out;
        this.weight = ps.add(prefix + ".weight", out, in);
        this.bias = withBias ? ps.add(prefix + ".bias", out) : null;
        this.y = new RowBuffer(ps.dtype(), out);
        this.dx = new RowBuffer(ps.dtype(), in);
    }

    /** y = x Wᵀ + b into this layer's buffer. */
    public INDArray forward(INDArray x) {
        return forward(x, y.rows(checkIn(x)));
    }

    /** y = x Wᵀ + b into a caller-supplied [N, out] array (e.g. a slice of a larger buffer). */
    public INDArray forward(INDArray x, INDArray yOut) {
        int n = checkIn(x);
        if (Kernels.rows(yOut) != n || Kernels.cols(yOut) != out)
            throw new IllegalArgumentException(weight.name + ": output must be " + n + "x" + out);
        this.x = x;
        Nd4j.gemm(x, weight.value(), yOut, false, true, 1.0, 0.0);
        if (bias != null) Kernels.addBiasRows(yOut, bias.value());
        return yOut;
    }

    /** Accumulates dW += dyᵀ x and db += Σ dy; returns dx = dy W in this layer's buffer. */
    public INDArray backward(INDArray dy) {
        int n = checkDy(dy);
        return backward(dy, dx.rows(n), false);
    }

    /**
     * As {@link #backward(INDArray)} but writes dx into {@code dxOut}, or adds to it when {@code accumulate}
     * (several projections of one input, e.g. k and v of the attention source, sum their input gradients).
     */
    public INDArray backward(INDArray dy, INDArray dxOut, boolean accumulate) {
        int n = checkDy(dy);
        if (Kernels.rows(dxOut) != n || Kernels.cols(dxOut) != in)
            throw new IllegalArgumentException(weight.name + ": input gradient must be " + n + "x" + in);
        Nd4j.gemm(dy, x, weight.grad(), true, false, 1.0, 1.0);
        if (bias != null) Kernels.addColumnSums(dy, bias.grad());
        Nd4j.gemm(dy, weight.value(), dxOut, false, false, 1.0, accumulate ? 1.0 : 0.0);
        return dxOut;
    }

    /** The pre-LN block init: truncated normal with empirical std sqrt(2/(nLayers·in)), bias 0 (paper.md §3.4). */
    public void initPreLn(Rng rng, int nLayers) {
        Init.preLnLinear(weight.value(), rng, nLayers);
        if (bias != null) Init.zeros(bias.value());
    }

    /** PyTorch's default nn.Linear init, weight and bias U(±1/sqrt(in)). */
    public void initTorchDefault(Rng rng) {
        Init.torchLinearDefault(weight.value(), bias == null ? null : bias.value(), rng);
    }

    private int checkIn(INDArray x) {
        if (Kernels.cols(x) != in)
            throw new IllegalArgumentException(weight.name + ": input has " + Kernels.cols(x) + " columns, expected " + in);
        if (x.dataType() != weight.value().dataType())
            throw new IllegalArgumentException(weight.name + ": input is " + x.dataType() + ", parameters " + weight.value().dataType());
        return Kernels.rows(x);
    }

    private int checkDy(INDArray dy) {
        if (x == null) throw new IllegalStateException(weight.name + ": backward before forward");
        int n = Kernels.rows(dy);
        if (n != Kernels.rows(x) || Kernels.cols(dy) != out)
            throw new IllegalArgumentException(weight.name + ": output gradient must be " + Kernels.rows(x) + "x" + out
                    + ", got " + n + "x" + Kernels.cols(dy));
        return n;
    }
}
