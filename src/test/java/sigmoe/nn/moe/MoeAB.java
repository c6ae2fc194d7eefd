package sigmoe.nn.moe;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;

/**
 * Before/after benchmark of the σ-MoE FFN in one JVM: the layer from a snapshot of older compiled classes (a
 * child-first class loader over {@code <snapshot>/classes}) against the current one, interleaved rep by rep with
 * the parameter-equal dense FFN, at the WT-S shape. Both layers get the same seed, input and output gradient, so
 * it also prints how far apart their y, dx and parameter gradients are (0 when the change keeps the bits).
 * Usage: MoeAB snapshotDir [tokens=8192] [reps=15]; bench/moe-ab.sh makes the snapshot.
 */
public final class MoeAB {
    public static void main(String[] args) throws Exception {
        Path snap = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 8192;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        DataType f32 = DataType.FLOAT;
        INDArray x = GradCheck.randn(Nd4j.create(f32, n, MoeBench.D), 1, 1.0);
        INDArray dy = GradCheck.randn(Nd4j.create(f32, n, MoeBench.D), 2, 1.0 / n);
        ClassLoader old = new ChildFirst(new URL[] {snap.resolve("classes").toUri().toURL()}, MoeAB.class.getClassLoader());
        Layer a = new Layer(old), b = new Layer(MoeAB.class.getClassLoader());
        MoeBench.DenseFfn dense = new MoeBench.DenseFfn(n);
        Runnable denseStep = () -> { dense.forward(x); dense.backward(dy); };

        // numerics first, from zero gradients: one fwd+bwd of each
        a.zero(); b.zero();
        INDArray ya = a.forward(x).dup(), yb = b.forward(x).dup();
        INDArray dxa = a.backward(dy).dup(), dxb = b.backward(dy).dup();
        System.out.printf(Locale.ROOT, "max |Δ| old vs new: y %.3g (max |y| %.3g), dx %.3g (max |dx| %.3g), grads %.3g (max |grad| %.3g)%n",
                maxDiff(ya, yb), ya.amaxNumber().doubleValue(), maxDiff(dxa, dxb), dxa.amaxNumber().doubleValue(),
                maxDiff(a.grads(), b.grads()), a.grads().amaxNumber().doubleValue());

        Runnable oldStep = () -> { a.forward(x); a.backward(dy); }, newStep = () -> { b.forward(x); b.backward(dy); };
        for (int i = 0; i < 3; i++) { denseStep.run(); oldStep.run(); newStep.run(); }
        double[] td = new double[reps], ta = new double[reps], tb = new double[reps], r = new double[reps], ra = new double[reps], rb = new double[reps];
        for (int i = 0; i < reps; i++) {
            // alternate the order so neither variant always runs right after the dense FFN
            td[i] = MoeBench.time(denseStep);
            if (i % 2 == 0) { ta[i] = MoeBench.time(oldStep); tb[i] = MoeBench.time(newStep); }
            else { tb[i] = MoeBench.time(newStep); ta[i] = MoeBench.time(oldStep); }
            r[i] = tb[i] / ta[i];
            ra[i] = ta[i] / td[i];
            rb[i] = tb[i] / td[i];
        }
        System.out.printf(Locale.ROOT, "N = %d, %d interleaved reps. median ms: dense %.1f, old %.1f, new %.1f; fastest: dense %.1f, old %.1f, new %.1f%n",
                n, reps, MoeBench.median(td), MoeBench.median(ta), MoeBench.median(tb), MoeBench.min(td), MoeBench.min(ta), MoeBench.min(tb));
        System.out.printf(Locale.ROOT, "new/old time: median of per-rep ratios %.3f, ratio of medians %.3f, ratio of fastest %.3f%n",
                MoeBench.median(r), MoeBench.median(tb) / MoeBench.median(ta), MoeBench.min(tb) / MoeBench.min(ta));
        System.out.printf(Locale.ROOT, "MoE/dense: old %.3f, new %.3f (median of per-rep ratios); old %.3f, new %.3f (ratio of medians)%n",
                MoeBench.median(ra), MoeBench.median(rb), MoeBench.median(ta) / MoeBench.median(td), MoeBench.median(tb) / MoeBench.median(td));
    }

    static double maxDiff(INDArray p, INDArray q) { return p.sub(q).amaxNumber().doubleValue(); }

    /** One σ-MoE layer (WT-S, γ = 0.001) of whichever class loader, driven by reflection. */
    static final class Layer {
        final Object store, moe;
        final Method fwd, bwd, zero, grads;

        Layer(ClassLoader cl) throws Exception {
            Class<?> ps = cl.loadClass("sigmoe.nn.ParamStore"), lc = cl.loadClass("sigmoe.nn.moe.SigmaMoeFfn"), rng = cl.loadClass("sigmoe.nn.Rng");
            store = ps.getConstructor(DataType.class).newInstance(DataType.FLOAT);
            Constructor<?> c = lc.getConstructor(ps, String.class, int.class, int.class, int.class, int.class, double.class, double.class);
            moe = c.newInstance(store, "layers.0.ffn", MoeBench.D, MoeBench.NE, MoeBench.G, MoeBench.K, 0.0, 0.001);
            ps.getMethod("allocate").invoke(store);
            lc.getMethod("initialise", rng, int.class, boolean.class).invoke(moe, rng.getConstructor(long.class).newInstance(7L), 16, false);
            fwd = lc.getMethod("forward", INDArray.class, boolean.class, rng);
            bwd = lc.getMethod("backward", INDArray.class);
            zero = ps.getMethod("zeroGrads");
            grads = ps.getMethod("grads");
        }

        INDArray forward(INDArray x) { return (INDArray) call(fwd, moe, x, true, null); }

        INDArray backward(INDArray dy) { return (INDArray) call(bwd, moe, dy); }

        void zero() { call(zero, store); }

        INDArray grads() { return (INDArray) call(grads, store); }

        private static Object call(Method m, Object o, Object... a) {
            try {
                return m.invoke(o, a);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Loads sigmoe.* from the snapshot first; everything else (ND4J, the JDK) from the parent, so arrays are shared. */
    static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) { super(urls, parent); }

        @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (!name.startsWith("sigmoe.")) return super.loadClass(name, resolve);
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try { c = findClass(name); } catch (ClassNotFoundException e) { c = super.loadClass(name, false); }
                }
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }
}
