package sigmoe.model;

import java.lang.ref.Reference;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;

/**
 * One tensor to be written: name, shape and where its elements come from. Float data is always stored as F32
 * (doubles are converted), integer data as I64. The element source is read while writing, so a model's parameters
 * stream from the ND4J buffer to the file without an extra on-heap copy.
 */
public final class SafetensorsTensor {
    /** Element {@code i} (row-major) of a float tensor. */
    @FunctionalInterface
    public interface FloatSource { float get(long i); }

    /** Element {@code i} (row-major) of an integer tensor. */
    @FunctionalInterface
    public interface LongSource { long get(long i); }

    public final String name;
    public final SafetensorsDtype dtype;
    private final long[] shape;
    public final long numel;
    private final FloatSource floats;
    private final LongSource longs;

    private SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, FloatSource f, LongSource l) {
        if (name == null) throw new IllegalArgumentException("tensor name is null");
        if ("__metadata__".equals(name)) throw new IllegalArgumentException("'__metadata__' is reserved, not a tensor name");
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.numel = numel(name, shape);
        this.floats = f;
        this.longs = l;
    }

    public long[] shape() { return shape.clone(); }

    /** An F32 tensor from floats; {@code data.length} must equal the product of {@code shape}. */
    public static SafetensorsTensor ofFloats(String name, long[] shape, float[] data) {
        SafetensorsTensor t = new SafetensorsTensor(name, SafetensorsDtype.F32, shape, i -> data[(int) i], null);
        t.checkLength(data.length);
        return t;
    }

    /** An F32 tensor from doubles (converted to float when written: the format's parameters are F32). */
    public static SafetensorsTensor ofDoubles(String name, long[] shape, double[] data) {
        SafetensorsTensor t = new SafetensorsTensor(name, SafetensorsDtype.F32, shape, i -> (float) data[(int) i], null);
        t.checkLength(data.length);
        return t;
    }

    /** An I64 tensor (cursors, RNG states, counters). */
    public static SafetensorsTensor ofLongs(String name, long[] shape, long[] data) {
        SafetensorsTensor t = new SafetensorsTensor(name, SafetensorsDtype.I64, shape, null, i -> data[(int) i]);
        t.checkLength(data.length);
        return t;
    }

    /** An F32 tensor whose elements are produced on demand while writing. */
    public static SafetensorsTensor ofFloatSource(String name, long[] shape, FloatSource src) {
        return new SafetensorsTensor(name, SafetensorsDtype.F32, shape, src, null);
    }

    /** An F32 tensor read from a contiguous c-order FLOAT or DOUBLE array (or view) when the file is written. */
    public static SafetensorsTensor ofArray(String name, long[] shape, INDArray a) {
        Mem m = Mem.of(a);
        // the view outlives this method (read when the file is written): each read keeps a reachable until it is done
        SafetensorsTensor t = new SafetensorsTensor(name, SafetensorsDtype.F32, shape, i -> {
            try { return (float) m.get((int) i); } finally { Reference.reachabilityFence(a); }
        }, null);
        t.checkLength(m.length);
        return t;
    }

    float floatAt(long i) { return floats.get(i); }

    long longAt(long i) { return longs.get(i); }

    long byteSize() { return Math.multiplyExact(numel, (long) dtype.size); }

    private void checkLength(long n) {
        if (n != numel)
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " holds " + numel
                    + " elements but the data has " + n);
    }

    static long numel(String name, long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("tensor " + name + ": negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, s);
        }
        return n;
    }
}
