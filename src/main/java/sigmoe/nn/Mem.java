package sigmoe.nn;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access from Java loops to the memory of a contiguous, c-order ND4J array (or view), without copies.
 * One subclass per data type, so the same kernel code serves FLOAT training and the DOUBLE finite-difference
 * gradient checks; the JIT sees at most two receiver types at each call site.
 * Index {@code i} is relative to the array's first element (the view offset is applied here).
 *
 * <p>A Mem does not keep its array reachable: its NIO view over ND4J's native memory holds no reference to the
 * INDArray or its DataBuffer, so once the array is unreachable (the JIT may end a local's life right after
 * {@code Mem.of(a)}) a GC lets ND4J free the memory while the Mem still reads or writes it. Callers fence the array
 * with {@code java.lang.ref.Reference.reachabilityFence(a)} after their last access through the Mem (in a
 * {@code finally} block when the method has several exits).
 */
public abstract class Mem {
    public final int length;

    private Mem(int length) { this.length = length; }

    public abstract double get(int i);

    public abstract void set(int i, double v);

    public final void add(int i, double v) { set(i, get(i) + v); }

    /** Wraps a c-order contiguous array or view (row-range views of c-order arrays qualify). */
    public static Mem of(INDArray a) {
        if (a.length() > Integer.MAX_VALUE) throw new IllegalArgumentException("array too large for Mem: " + a.length());
        if (!isContiguous(a))
            throw new IllegalArgumentException("Mem needs a contiguous c-order array; got shape "
                    + java.util.Arrays.toString(a.shape()) + " stride " + java.util.Arrays.toString(a.stride()));
        int off = Math.toIntExact(a.offset());
        int n = (int) a.length();
        if (a.dataType() == DataType.FLOAT) return new F32(a.data().asNioFloat(), off, n);
        if (a.dataType() == DataType.DOUBLE) return new F64(a.data().asNioDouble(), off, n);
        throw new IllegalArgumentException("Mem supports FLOAT and DOUBLE, not " + a.dataType());
    }

    static boolean isContiguous(INDArray a) {
        if (a.rank() == 0) return true;
        long expect = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expect) return false;
            expect *= a.size(d);
        }
        return true;
    }

    static final class F32 extends Mem {
        private final FloatBuffer b;
        private final int off;

        F32(FloatBuffer b, int off, int n) { super(n); this.b = b; this.off = off; }

        @Override public double get(int i) { return b.get(off + i); }

        @Override public void set(int i, double v) { b.put(off + i, (float) v); }
    }

    static final class F64 extends Mem {
        private final DoubleBuffer b;
        private final int off;

        F64(DoubleBuffer b, int off, int n) { super(n); this.b = b; this.off = off; }

        @Override public double get(int i) { return b.get(off + i); }

        @Override public void set(int i, double v) { b.put(off + i, v); }
    }
}
