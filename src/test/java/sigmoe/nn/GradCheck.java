package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.ref.Reference;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences in double precision against an analytic gradient. Shared by every layer test.
 * Typical use: loss = Σ out ⊙ R for a fixed random R, so dOut = R.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Perturbs {@code samples} entries of {@code x} (all entries when samples >= length), recomputing {@code loss}
     * each time, and compares with {@code analytic}. Fails with the worst entry when the relative error exceeds tol.
     */
    public static double check(String what, INDArray x, INDArray analytic, DoubleSupplier loss, int samples,
                               double eps, double tol) {
        if (x.dataType() != DataType.DOUBLE) throw new IllegalArgumentException("gradient checks run in DOUBLE");
        Mem xm = Mem.of(x);
        Mem gm = Mem.of(analytic);
        int n = xm.length;
        Rng rng = new Rng(12345 + n);
        double worst = 0;
        String worstMsg = "";
        int count = Math.min(samples, n);
        for (int s = 0; s < count; s++) {
            int i = samples >= n ? s : rng.nextInt(n);
            double orig = xm.get(i);
            xm.set(i, orig + eps);
            double lp = loss.getAsDouble();
            xm.set(i, orig - eps);
            double lm = loss.getAsDouble();
            xm.set(i, orig);
            double num = (lp - lm) / (2 * eps);
            double ana = gm.get(i);
            double err = Math.abs(num - ana) / Math.max(1e-6, Math.abs(num) + Math.abs(ana));
            if (err > worst) {
                worst = err;
                worstMsg = what + "[" + i + "]: analytic " + ana + " numeric " + num;
            }
        }
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(analytic);
        if (worst > tol) fail("gradient check failed (rel err " + worst + " > " + tol + ") at " + worstMsg);
        return worst;
    }

    /** Σ a ⊙ b over all elements (both contiguous c-order). */
    public static double dot(INDArray a, INDArray b) {
        Mem am = Mem.of(a), bm = Mem.of(b);
        double s = 0;
        for (int i = 0; i < am.length; i++) s += am.get(i) * bm.get(i);
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        return s;
    }

    /** Fills a contiguous array with N(0, std²) from a seeded generator. */
    public static INDArray randn(INDArray a, long seed, double std) {
        Mem m = Mem.of(a);
        Rng r = new Rng(seed);
        for (int i = 0; i < m.length; i++) m.set(i, std * r.nextGaussian());
        Reference.reachabilityFence(a); // returning a keeps it reachable anyway; the fence states the intent
        return a;
    }
}
