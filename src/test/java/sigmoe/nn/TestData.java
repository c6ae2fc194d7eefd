package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Small helpers shared by the layer tests: seeded arrays, offset views, comparisons. */
final class TestData {
    private TestData() {}

    static INDArray randn(DataType dt, long seed, double std, long... shape) {
        return GradCheck.randn(Nd4j.create(dt, shape), seed, std);
    }

    /**
     * A random [rows, cols] array that is a row-range view in the middle of a larger buffer, so kernels that
     * ignore view offsets fail.
     */
    static INDArray randnView(DataType dt, long seed, double std, int rows, int cols) {
        INDArray big = Nd4j.create(dt, rows + 5, cols);
        INDArray v = big.get(NDArrayIndex.interval(3, 3 + rows), NDArrayIndex.all());
        GradCheck.randn(big, seed + 1000, 7.0); // junk around the view
        GradCheck.randn(v, seed, std);
        return v;
    }

    static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        Mem e = Mem.of(expected), a = Mem.of(actual);
        assertEquals(e.length, a.length, what + ": lengths");
        for (int i = 0; i < e.length; i++) {
            double x = e.get(i), y = a.get(i);
            if (Double.isNaN(x) != Double.isNaN(y) || Math.abs(x - y) > tol * Math.max(1, Math.abs(x)))
                fail(what + "[" + i + "]: expected " + x + " got " + y + " (tol " + tol + ")");
        }
        Reference.reachabilityFence(expected);
        Reference.reachabilityFence(actual);
    }

    /** Copies every parameter value of {@code from} into {@code to} (same layout; types may differ). */
    static void copyParams(ParamStore from, ParamStore to) {
        INDArray fv = from.values(), tv = to.values();
        Mem f = Mem.of(fv), t = Mem.of(tv);
        assertEquals(f.length, t.length);
        for (int i = 0; i < f.length; i++) t.set(i, f.get(i));
        Reference.reachabilityFence(fv);
        Reference.reachabilityFence(tv);
    }

    static void fillParams(ParamStore ps, long seed, double std) { GradCheck.randn(ps.values(), seed, std); }

    static INDArray asType(INDArray a, DataType dt) {
        INDArray b = Nd4j.create(dt, a.shape());
        Mem s = Mem.of(a), d = Mem.of(b);
        for (int i = 0; i < s.length; i++) d.set(i, s.get(i));
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        return b;
    }
}
