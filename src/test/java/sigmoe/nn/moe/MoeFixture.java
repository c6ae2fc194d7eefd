package sigmoe.nn.moe;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Mem;
import sigmoe.nn.ParamStore;

/** A σ-MoE layer in its own store with N(0, wStd²) parameters, plus array helpers for the tests. */
final class MoeFixture {
    final ParamStore store;
    final SigmaMoeFfn layer;

    MoeFixture(DataType dt, int d, int ne, int g, int k, double delta, double gamma, long seed, double wStd) {
        store = new ParamStore(dt);
        layer = new SigmaMoeFfn(store, "layers.0.ffn", d, ne, g, k, delta, gamma);
        store.allocate();
        if (wStd > 0) {
            GradCheck.randn(layer.keys.value(), seed, wStd);
            GradCheck.randn(layer.values.value(), seed + 1, wStd);
            GradCheck.randn(layer.expertSel.value(), seed + 2, wStd * 3); // spread the scores: stable top-K
        }
    }

    DenseMaskedReference reference(int n) {
        return new DenseMaskedReference(n, layer.dModel, layer.nExperts, layer.expertSize, layer.topK,
                arr(layer.keys.value()), arr(layer.values.value()), arr(layer.expertSel.value()));
    }

    static INDArray randn(DataType dt, int rows, int cols, long seed, double std) {
        return GradCheck.randn(Nd4j.create(dt, rows, cols), seed, std);
    }

    static double[] arr(INDArray a) {
        Mem m = Mem.of(a);
        double[] r = new double[m.length];
        for (int i = 0; i < r.length; i++) r[i] = m.get(i);
        Reference.reachabilityFence(a);
        return r;
    }

    static void copy(INDArray from, INDArray to) {
        Mem f = Mem.of(from), t = Mem.of(to);
        for (int i = 0; i < f.length; i++) t.set(i, f.get(i));
        Reference.reachabilityFence(from);
        Reference.reachabilityFence(to);
    }

    /** max |a - b| / max |b| (relative to the largest reference entry). */
    static double relDiff(double[] a, double[] b) {
        if (a.length != b.length) throw new AssertionError("length " + a.length + " vs " + b.length);
        double worst = 0, scale = 1e-300;
        for (double v : b) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        return worst / scale;
    }
}
