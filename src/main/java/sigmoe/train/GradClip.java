package sigmoe.train;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;

/** Global L2-norm gradient clipping over the flat gradient buffer (PyTorch's clip_grad_norm_). */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of a flat buffer (NaN/Inf propagate, so callers can detect faults). */
    public static double norm(INDArray flat) {
        try {
            if (flat.dataType() == DataType.FLOAT && flat.length() <= Integer.MAX_VALUE) {
                Mem.of(flat); // rejects non-contiguous views, as the generic path does
                // same double sum in the same order as below (same bits), without Mem's virtual get per element
                FloatBuffer b = flat.data().asNioFloat();
                int o = Math.toIntExact(flat.offset()), n = (int) flat.length();
                double s = 0;
                for (int i = 0; i < n; i++) { double x = b.get(o + i); s += x * x; }
                return Math.sqrt(s);
            }
            Mem g = Mem.of(flat);
            double s = 0;
            for (int i = 0; i < g.length; i++) { double x = g.get(i); s += x * x; }
            return Math.sqrt(s);
        } finally {
            Reference.reachabilityFence(flat);
        }
    }

    /** Scales the gradients so that their norm is at most {@code maxNorm} (no-op when maxNorm <= 0); returns the norm before. */
    public static double clip(INDArray flat, double maxNorm) {
        double n = norm(flat);
        if (maxNorm > 0 && Double.isFinite(n)) {
            double coef = maxNorm / (n + 1e-6);
            if (coef < 1) flat.muli(coef);
        }
        return n;
    }
}
