package sigmoe.perf;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;

/**
 * Before/after of an optimisation in ONE JVM, interleaved rep by rep with the sgemm reference of StepBench, so that
 * the shared machine's load hits both alike: the "before" side is a snapshot of the compiled classes (e.g. copied
 * from target/classes and target/test-classes before the change), loaded child-first for {@code sigmoe.*} by its own
 * class loader; the "after" side is this JVM's classpath. Only JDK types cross between the two.
 * Usage: AbBench OLD_CLASSES_DIR OLD_TEST_CLASSES_DIR REPS WARMUP CASE... (CASE: attn, out, or a conf path).
 * With {@code -Dab.cpu=true} the times are the calling thread's CPU time instead of wall time: with
 * OMP_NUM_THREADS=1 all work (OpenBLAS included) runs on that thread, so the comparison counts work done and is
 * almost immune to the other processes' load (which on the shared machine swings wall times by 2–5×).
 */
public final class AbBench {
    public static void main(String[] args) throws Exception {
        Path oldMain = Path.of(args[0]), oldTest = Path.of(args[1]);
        int reps = Integer.parseInt(args[2]), warm = Integer.parseInt(args[3]);
        URL here = AbCase.class.getProtectionDomain().getCodeSource().getLocation();
        ClassLoader old = new ChildFirst(new URL[] {oldMain.toUri().toURL(), oldTest.toUri().toURL(), here},
                AbBench.class.getClassLoader());
        INDArray a = GradCheck.randn(Nd4j.create(DataType.FLOAT, 8192, 412), 1, 1.0);
        INDArray b = GradCheck.randn(Nd4j.create(DataType.FLOAT, 412, 2048), 2, 0.02);
        INDArray c = Nd4j.create(DataType.FLOAT, 8192, 2048);
        Runnable sgemm = () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        double sgFlop = 2.0 * 8192 * 412 * 2048;
        for (int k = 4; k < args.length; k++) {
            String name = args[k];
            Runnable after = AbCase.make(name);
            Runnable before = (Runnable) old.loadClass(AbCase.class.getName()).getMethod("make", String.class).invoke(null, name);
            double flops = AbCase.flops(name);
            for (int i = 0; i < warm; i++) { before.run(); after.run(); sgemm.run(); }
            double[] tb = new double[reps], ta = new double[reps], ts = new double[reps];
            for (int i = 0; i < reps; i++) {
                ts[i] = time(sgemm);
                if (i % 2 == 0) { tb[i] = time(before); ta[i] = time(after); }
                else { ta[i] = time(after); tb[i] = time(before); }
            }
            double sg = sgFlop / (med(ts) * 1e6);
            System.out.printf(Locale.ROOT, "%s: sgemm %.1f GFLOP/s | before %.1f ms (%.3f of sgemm) | after %.1f ms (%.3f of sgemm)"
                    + " | before/after %.3f | per-rep before/after median %.3f%n", name, sg, med(tb), flops / (med(tb) * 1e6) / sg,
                    med(ta), flops / (med(ta) * 1e6) / sg, med(tb) / med(ta), medRatio(tb, ta));
        }
    }

    /** Loads sigmoe.* from its own URLs first; everything else (ND4J, JDK) from the parent, so types are shared. */
    static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) { super(urls, parent); }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("sigmoe.")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) c = findClass(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }

    static double medRatio(double[] b, double[] a) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < b.length; i++) r.add(b[i] / a[i]);
        return med(r.stream().mapToDouble(x -> x).toArray());
    }

    static final boolean CPU = Boolean.getBoolean("ab.cpu");
    static final java.lang.management.ThreadMXBean MX = java.lang.management.ManagementFactory.getThreadMXBean();

    static double time(Runnable run) {
        long t0 = CPU ? MX.getCurrentThreadCpuTime() : System.nanoTime();
        run.run();
        return ((CPU ? MX.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
    }

    static double med(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
