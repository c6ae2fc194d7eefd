package sigmoe.perf;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.OutputLoss;
import sigmoe.nn.ParamStore;
import sigmoe.nn.RelativeAttention;
import sigmoe.nn.Rng;

/**
 * The workloads {@link AbBench} times, built with whichever {@code sigmoe} classes this class's loader resolves (the
 * working tree's, or a snapshot's). Only JDK types cross the loader boundary (Runnable, double).
 */
public final class AbCase {
    private AbCase() {}

    static final int B = 16, T = 128, M = 128, D = 256, H = 4, HS = 64, V = 8000;

    /** A runnable for case {@code name}: attn, out, or a config path (one training step of it). */
    public static Runnable make(String name) {
        switch (name) {
            case "attn": {
                ParamStore ps = new ParamStore(DataType.FLOAT);
                RelativeAttention a = new RelativeAttention(ps, "layers.0.attn", D, H, HS);
                ps.allocate();
                a.initialise(new Rng(1), 4);
                INDArray src = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * (M + T), D), 2, 1.0);
                INDArray dOut = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * T, D), 3, 1.0);
                return () -> { a.forward(src, B, M, T); a.backward(dOut); };
            }
            case "out": {
                ParamStore ps = new ParamStore(DataType.FLOAT);
                OutputLoss out = new OutputLoss(ps, "output", D, V);
                ps.allocate();
                out.init(new Rng(2));
                INDArray x = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * T, D), 4, 1.0);
                int[] tg = new int[B * T];
                Rng r = new Rng(5);
                for (int i = 0; i < tg.length; i++) tg[i] = r.nextInt(V);
                return () -> { out.forward(x, tg); out.backward(1.0 / tg.length); };
            }
            default: {
                StepBench.Setup s = new StepBench.Setup(name, 0, 0);
                return s::step;
            }
        }
    }

    /** Model FLOPs of one run of case {@code name} (as StepBench counts them). */
    public static double flops(String name) {
        double n = B * T, L = M + T, in = H * HS;
        switch (name) {
            case "attn": return 3 * (2 * n * D * in + 2 * 2 * B * L * D * in + 2 * L * D * in + 2 * n * in * D + 3 * 2 * n * L * in);
            case "out": return 3 * 2 * n * D * V;
            default: return new StepBench.Setup(name, 0, 0).stepFlops();
        }
    }
}
