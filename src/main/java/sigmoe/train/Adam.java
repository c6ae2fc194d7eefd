package sigmoe.train;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;
import sigmoe.nn.RowParallel;

/**
 * Adam exactly as PyTorch's (β 0.9/0.999, ε 1e-8, no weight decay; paper.md §3.5) over the store's flat buffers.
 * The moments have the parameters' flat layout, so the Spark trainer averages them like the parameters.
 */
public final class Adam {
    public static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    private final ParamStore store;
    private final double beta1, beta2, eps;
    private final INDArray m;
    private final INDArray v;
    private long step;

    public Adam(ParamStore store) { this(store, BETA1, BETA2, EPS); }

    public Adam(ParamStore store, double beta1, double beta2, double eps) {
        this.store = store;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = Nd4j.create(store.dtype(), store.values().length());
        this.v = Nd4j.create(store.dtype(), store.values().length());
    }

    /** First moments, flat (same layout as the parameters). */
    public INDArray m() { return m; }

    /** Second moments, flat. */
    public INDArray v() { return v; }

    /** Number of updates applied so far (PyTorch's per-parameter {@code step}). */
    public long step() { return step; }

    public void setStep(long s) { step = s; }

    /** One update with learning rate {@code lr} from the store's gradients. */
    public void update(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        int n = (int) store.size();
        if (store.dtype() == DataType.FLOAT) { updateFloat(n, stepSize, bc2Sqrt); return; }
        INDArray values = store.values(), grads = store.grads();
        Mem p = Mem.of(values), g = Mem.of(grads), mm = Mem.of(m), vv = Mem.of(v);
        for (int i = 0; i < n; i++) {
            double gi = g.get(i);
            double mi = beta1 * mm.get(i) + (1 - beta1) * gi;
            double vi = beta2 * vv.get(i) + (1 - beta2) * gi * gi;
            mm.set(i, mi);
            vv.set(i, vi);
            p.set(i, p.get(i) - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        }
        Reference.reachabilityFence(values);
        Reference.reachabilityFence(grads);
        Reference.reachabilityFence(m);
        Reference.reachabilityFence(v);
    }

    /**
     * The FLOAT case of {@link #update}: the same double arithmetic in the same order per element (so the same
     * bits), in contiguous blocks on all cores ({@link RowParallel}; elements are independent, so the split cannot
     * change a bit). Reading the FloatBuffers directly instead of through Mem alone did not pay (measured 0.87×,
     * docs/performance.md): the JIT already inlines Mem's get/set when only FLOAT is in use.
     */
    private void updateFloat(int n, double stepSize, double bc2Sqrt) {
        INDArray values = store.values(), grads = store.grads();
        FloatBuffer p = floats(values), g = floats(grads), mm = floats(m), vv = floats(v);
        int po = off(values), go = off(grads), mo = off(m), vo = off(v);
        double b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2, e = eps;
        RowParallel.forRange(n, 1 << 16, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                double gi = g.get(go + i);
                double mi = b1 * mm.get(mo + i) + c1 * gi;
                double vi = b2 * vv.get(vo + i) + c2 * gi * gi;
                mm.put(mo + i, (float) mi);
                vv.put(vo + i, (float) vi);
                p.put(po + i, (float) (p.get(po + i) - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + e)));
            }
        });
        Reference.reachabilityFence(values);
        Reference.reachabilityFence(grads);
        Reference.reachabilityFence(m);
        Reference.reachabilityFence(v);
    }

    /** Callers keep {@code a} reachable (Reference.reachabilityFence) while they use the view. */
    private static FloatBuffer floats(INDArray a) { return a.data().asNioFloat(); }

    private static int off(INDArray a) { return Math.toIntExact(a.offset()); }
}
