package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One named tensor inside a {@link ParamStore}: a view of the flat value buffer and the same view of the flat
 * gradient buffer. Names and shapes are the checkpoint's (formats.md §2, PyTorch layouts).
 */
public final class Param {
    public final String name;
    public final long[] shape;
    public final long offset;
    public final long length;
    INDArray value;
    INDArray grad;

    Param(String name, long[] shape, long offset) {
        this.name = name;
        this.shape = shape.clone();
        this.offset = offset;
        long n = 1;
        for (long s : shape) n *= s;
        this.length = n;
    }

    /** The value view (valid after {@link ParamStore#allocate()}). */
    public INDArray value() {
        if (value == null) throw new IllegalStateException("ParamStore not allocated yet: " + name);
        return value;
    }

    /** The gradient view, same shape; backward passes accumulate into it (GEMM β = 1). */
    public INDArray grad() {
        if (grad == null) throw new IllegalStateException("ParamStore not allocated yet: " + name);
        return grad;
    }
}
