package sigmoe.nn.moe;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Switches OpenBLAS to one thread for the σ-MoE's expert loop and back. OpenBLAS's thread count is process-wide:
 * the first layer to enter sets it to 1 and the last to leave restores what the first found, so layers running
 * concurrently (tasks sharing an executor JVM) cannot leave it at 1.
 *
 * <p>The switch calls {@code openblas_set_num_threads} through a function pointer resolved once. ND4J's
 * {@code blas().setMaxThreads} (the JavaCPP preset's {@code blas_set_num_threads}) looks four symbols up with
 * {@code Loader.addressof} on every call: measured 0.25–5 ms per call on the shared machine, against 0.06 µs for
 * the direct call (same library, same effect: the GEMM bits match ND4J's 1-thread path). Where the symbol is not
 * found (another BLAS), ND4J's call is used.
 */
final class SingleBlas {
    private static final Object LOCK = new Object();
    private static int depth;
    private static int saved;
    private static Direct direct;
    private static boolean resolved;

    private SingleBlas() {}

    static void enter() {
        synchronized (LOCK) {
            if (depth++ == 0) {
                saved = Nd4j.factory().blas().getMaxThreads(); // ND4J's record of the count; restored as is
                if (saved != 1) set(1);
            }
        }
    }

    static void exit() {
        synchronized (LOCK) {
            if (--depth == 0 && saved != 1) set(saved);
        }
    }

    private static void set(int threads) {
        if (!resolved) {
            resolved = true;
            Pointer p = Loader.addressof("openblas_set_num_threads");
            if (p != null && !p.isNull()) direct = new Direct(p);
        }
        if (direct != null) direct.call(threads);
        else Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** {@code void openblas_set_num_threads(int)} at a resolved address. */
    private static final class Direct extends SetNumThreads {
        Direct(Pointer address) {
            super();
            put(address);
        }
    }
}
