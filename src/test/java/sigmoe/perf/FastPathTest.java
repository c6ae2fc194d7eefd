package sigmoe.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.GradCheck;
import sigmoe.nn.ParamStore;
import sigmoe.train.Adam;
import sigmoe.train.GradClip;

/** The FLOAT fast paths of Adam and GradClip give exactly the bits of the generic Mem loops they replace. */
class FastPathTest {
    private static ParamStore store(int n) {
        ParamStore s = new ParamStore(DataType.FLOAT);
        s.add("a", 7, 13);
        s.add("b", n - 91);
        s.allocate();
        s.values().assign(GradCheck.randn(s.values().dup(), 3, 0.5));
        return s;
    }

    @Test
    void adamFloatPathMatchesTheMemLoopBitForBit() {
        ParamStore fast = store(10_007), ref = store(10_007);
        Adam adam = new Adam(fast);
        INDArray m = adam.m().dup(), v = adam.v().dup();
        for (int t = 1; t <= 5; t++) {
            INDArray g = GradCheck.randn(fast.grads().dup(), 10 + t, t == 3 ? 1e-6 : 0.1);
            fast.grads().assign(g);
            ref.grads().assign(g);
            adam.update(1e-3 * t);
            Reference.adam(ref, m, v, 1e-3 * t, t);
            assertArrayEquals(ref.values().toFloatVector(), fast.values().toFloatVector(), "parameters after step " + t);
            assertArrayEquals(m.toFloatVector(), adam.m().toFloatVector(), "m after step " + t);
            assertArrayEquals(v.toFloatVector(), adam.v().toFloatVector(), "v after step " + t);
        }
    }

    @Test
    void normFloatPathMatchesTheMemLoopAndPropagatesNaN() {
        ParamStore s = store(5_003);
        s.grads().assign(GradCheck.randn(s.grads().dup(), 4, 2.0));
        assertEquals(Reference.norm(s.grads()), GradClip.norm(s.grads()));
        // a view with an offset (a parameter's gradient) is read from its own first element
        INDArray view = s.get("b").grad();
        assertEquals(Reference.norm(view), GradClip.norm(view));
        s.grads().putScalar(17, Float.NaN);
        assertEquals(Double.NaN, GradClip.norm(s.grads()));
    }
}
