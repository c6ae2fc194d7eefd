package sigmoe.perf;

import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;
import sigmoe.train.Adam;

/**
 * The step's kernels as they were before the FLOAT fast paths (generic loops over {@link Mem}), kept as the
 * reference the fast paths must match bit for bit (FastPathTest) and as the "before" of StepBench's ratios.
 */
final class Reference {
    private Reference() {}

    /** Adam's update through Mem, PyTorch defaults; {@code t} is the 1-based step count after the increment. */
    static void adam(ParamStore store, INDArray m, INDArray v, double lr, long t) {
        double beta1 = Adam.BETA1, beta2 = Adam.BETA2, eps = Adam.EPS;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        double stepSize = lr / bc1;
        INDArray values = store.values(), grads = store.grads();
        Mem p = Mem.of(values), g = Mem.of(grads), mm = Mem.of(m), vv = Mem.of(v);
        int n = (int) store.size();
        for (int i = 0; i < n; i++) {
            double gi = g.get(i);
            double mi = beta1 * mm.get(i) + (1 - beta1) * gi;
            double vi = beta2 * vv.get(i) + (1 - beta2) * gi * gi;
            mm.set(i, mi);
            vv.set(i, vi);
            p.set(i, p.get(i) - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        }
        java.lang.ref.Reference.reachabilityFence(values);
        java.lang.ref.Reference.reachabilityFence(grads);
        java.lang.ref.Reference.reachabilityFence(m);
        java.lang.ref.Reference.reachabilityFence(v);
    }

    /** GradClip.norm through Mem. */
    static double norm(INDArray flat) {
        Mem g = Mem.of(flat);
        double s = 0;
        for (int i = 0; i < g.length; i++) { double x = g.get(i); s += x * x; }
        java.lang.ref.Reference.reachabilityFence(flat);
        return Math.sqrt(s);
    }
}
