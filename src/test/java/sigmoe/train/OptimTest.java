package sigmoe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.nn.Param;
import sigmoe.nn.ParamStore;

class OptimTest {
    @Test
    void adamMatchesTheClosedFormOfTwoPyTorchSteps() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        Param w = ps.add("w", 2);
        ps.allocate();
        w.value().putScalar(0, 1.0).putScalar(1, -2.0);
        Adam adam = new Adam(ps);
        double[][] g = {{0.5, -0.1}, {0.3, 0.2}};
        double[] p = {1.0, -2.0}, m = new double[2], v = new double[2];
        double lr = 0.01;
        for (int t = 1; t <= 2; t++) {
            ps.grads().putScalar(0, g[t - 1][0]).putScalar(1, g[t - 1][1]);
            adam.update(lr);
            for (int i = 0; i < 2; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
                v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
                double mh = m[i] / (1 - Math.pow(0.9, t)), vh = v[i] / (1 - Math.pow(0.999, t));
                p[i] -= lr * mh / (Math.sqrt(vh) + 1e-8);
                assertEquals(p[i], w.value().getDouble(i), 1e-12);
            }
        }
        assertEquals(2, adam.step());
    }

    @Test
    void scheduleWarmsUpLinearlyThenFollowsTheCosine() {
        LrSchedule s = new LrSchedule(1.0, 4, 100);
        assertEquals(0.25, s.at(0), 1e-12);
        assertEquals(1.0, s.at(3), 1e-12);
        assertEquals(1.0, s.at(4), 1e-12);
        assertEquals(0.5, s.at(54), 1e-12);
        LrSchedule noWarm = new LrSchedule(2.0, 0, 10);
        assertEquals(2.0, noWarm.at(0), 1e-12);
        assertEquals(0.0, noWarm.at(10), 1e-12);
        assertEquals(1.0 + Math.cos(Math.PI * 0.3), noWarm.at(3), 1e-12);
    }

    @Test
    void clippingScalesToTheMaxNormOnlyWhenAbove() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        ps.add("w", 2);
        ps.allocate();
        ps.grads().putScalar(0, 3).putScalar(1, 4);
        assertEquals(5.0, GradClip.clip(ps.grads(), 10), 1e-12);
        assertEquals(3.0, ps.grads().getDouble(0), 1e-12);
        assertEquals(5.0, GradClip.clip(ps.grads(), 1), 1e-12);
        assertEquals(1.0, GradClip.norm(ps.grads()), 1e-6);
        assertEquals(0.6, ps.grads().getDouble(0), 1e-6);
    }
}
