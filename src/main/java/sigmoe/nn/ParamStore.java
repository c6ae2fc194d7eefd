package sigmoe.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All parameters of a model in one flat off-heap buffer, with a gradient buffer of the same layout, so that
 * parameter averaging, Adam and gradient clipping are single passes over one array (nd4j-only.md §7).
 * Layers register their tensors in their constructors, then {@link #allocate()} creates both buffers and the views.
 */
public final class ParamStore {
    private final DataType dtype;
    private final Map<String, Param> byName = new LinkedHashMap<>();
    private long size;
    private INDArray values;
    private INDArray grads;

    public ParamStore(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE)
            throw new IllegalArgumentException("parameters are FLOAT (training) or DOUBLE (gradient checks), not " + dtype);
        this.dtype = dtype;
    }

    public DataType dtype() { return dtype; }

    /** Registers a tensor; its views exist once {@link #allocate()} has run. */
    public Param add(String name, long... shape) {
        if (values != null) throw new IllegalStateException("ParamStore already allocated; cannot add " + name);
        if (byName.containsKey(name)) throw new IllegalArgumentException("duplicate parameter name " + name);
        Param p = new Param(name, shape, size);
        byName.put(name, p);
        size += p.length;
        return p;
    }

    public ParamStore allocate() {
        if (values != null) return this;
        if (size > Integer.MAX_VALUE) throw new IllegalStateException("more than 2^31 parameters in one store: " + size);
        values = Nd4j.create(dtype, Math.max(size, 1));
        grads = Nd4j.create(dtype, Math.max(size, 1));
        for (Param p : byName.values()) {
            long[] stride = cStride(p.shape);
            p.value = Nd4j.create(values.data(), p.shape, stride, p.offset, 'c', dtype);
            p.grad = Nd4j.create(grads.data(), p.shape, stride, p.offset, 'c', dtype);
        }
        return this;
    }

    private static long[] cStride(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /** Flat parameter vector (length {@link #size()}, or 1 for an empty store). */
    public INDArray values() { check(); return values; }

    /** Flat gradient vector, same layout as {@link #values()}. */
    public INDArray grads() { check(); return grads; }

    public long size() { return size; }

    public void zeroGrads() { check(); grads.assign(0); }

    public Param get(String name) {
        Param p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter named " + name);
        return p;
    }

    public boolean has(String name) { return byName.containsKey(name); }

    /** Parameters in registration order (the flat layout order). */
    public List<Param> params() { return Collections.unmodifiableList(new ArrayList<>(byName.values())); }

    private void check() { if (values == null) throw new IllegalStateException("ParamStore not allocated yet"); }
}
