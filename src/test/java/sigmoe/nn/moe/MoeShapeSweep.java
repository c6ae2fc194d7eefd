package sigmoe.nn.moe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/**
 * The σ-MoE ÷ dense FFN time as the expert size G grows at equal parameters (N_E·G = d_ff = 2048) and equal
 * compute (K·G = 512): (N_E, G, K) = (32, 64, 8), (16, 128, 4) (the paper's WT-S), (8, 256, 2), (4, 512, 1). Every
 * shape has the FLOP ratio 0.25 plus the router; what changes is the per-expert GEMM shape (n_e = N·K/N_E rows ×
 * G columns) and how many token rows are gathered (N·K). It measures how much of the gap to 0.25 is the expert size
 * rather than the layer's code. Dense and σ-MoE reps interleaved; median per-rep ratio, and the ratio of medians.
 * Usage (bench/moe-bench.sh --sweep): MoeShapeSweep [tokens=8192] [reps=9] [out=target/bench/moe-sweep.md]
 */
public final class MoeShapeSweep {
    static final int[][] SHAPES = {{32, 64, 8}, {16, 128, 4}, {8, 256, 2}, {4, 512, 1}};

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        Path out = Path.of(args.length > 2 ? args[2] : "target/bench/moe-sweep.md");
        DataType f32 = DataType.FLOAT;
        INDArray x = GradCheck.randn(Nd4j.create(f32, n, MoeBench.D), 1, 1.0);
        INDArray dy = GradCheck.randn(Nd4j.create(f32, n, MoeBench.D), 2, 1.0 / n);
        MoeBench.DenseFfn dense = new MoeBench.DenseFfn(n);
        Runnable denseStep = () -> { dense.forward(x); dense.backward(dy); };
        StringBuilder md = new StringBuilder("# σ-MoE ÷ dense FFN time vs expert size G (equal parameters N_E·G = 2048, equal compute K·G = 512)\n\n");
        md.append(String.format(Locale.ROOT, "tokens N = %d, d = %d, FLOAT, forward + backward; %d interleaved reps after 2 warm-up per shape; "
                + "OPENBLAS_CORETYPE=%s, %d CPUs. Dense d_ff = 2048 without biases.%n%n", n, MoeBench.D, reps,
                System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset"), Runtime.getRuntime().availableProcessors()));
        md.append("| N_E | G | K | rows per expert n_e | dense ms (median) | σ-MoE ms (median) | **σ-MoE ÷ dense** (median per-rep) | ratio of medians |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (int[] s : SHAPES) {
            int ne = s[0], g = s[1], k = s[2];
            ParamStore store = new ParamStore(f32);
            SigmaMoeFfn moe = new SigmaMoeFfn(store, "layers.0.ffn", MoeBench.D, ne, g, k, 0.0, 0.001);
            store.allocate();
            moe.initialise(new Rng(7), 16, false);
            Rng rng = new Rng(8);
            Runnable moeStep = () -> { moe.forward(x, true, rng); moe.backward(dy); };
            for (int i = 0; i < 2; i++) { denseStep.run(); moeStep.run(); }
            double[] d = new double[reps], m = new double[reps], r = new double[reps];
            for (int i = 0; i < reps; i++) {
                d[i] = MoeBench.time(denseStep);
                m[i] = MoeBench.time(moeStep);
                r[i] = m[i] / d[i];
            }
            double dm = MoeBench.median(d), mm = MoeBench.median(m);
            String row = String.format(Locale.ROOT, "| %d | %d | %d | %d | %.1f | %.1f | **%.3f** | %.3f |%n",
                    ne, g, k, n * k / ne, dm, mm, MoeBench.median(r), mm / dm);
            md.append(row);
            System.out.print(row);
        }
        System.out.print(md);
        sigmoe.testutil.BenchFiles.writeAtomically(out, md);
    }
}
