package sigmoe.nn;

import java.nio.file.Path;
import java.util.Arrays;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Steady-state time of the two heaviest layers of the small configurations, interleaved with the sgemm reference of
 * bench/step-bench.sh so that the machine's load hits all alike: RelativeAttention forward+backward at B=16, M=T=128,
 * d=256, H=4, hs=64, and OutputLoss forward+backward at [2048, 256] → 8000. With a JFR file name as the third
 * argument, records (settings=profile) only the timed repetitions, after warm-up; summarise it with JfrSummary.
 * Usage: LayerBench [reps=9] [warmup=3] [out.jfr]
 */
public final class LayerBench {
    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int B = 16, T = 128, M = 128, d = 256, H = 4, hs = 64, V = 8000;
        ParamStore ps = new ParamStore(DataType.FLOAT);
        RelativeAttention a = new RelativeAttention(ps, "layers.0.attn", d, H, hs);
        OutputLoss out = new OutputLoss(ps, "output", d, V);
        ps.allocate();
        a.initialise(new Rng(1), 4);
        out.init(new Rng(2));
        INDArray src = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * (M + T), d), 2, 1.0);
        INDArray dOut = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * T, d), 3, 1.0);
        INDArray x = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * T, d), 4, 1.0);
        int[] tg = new int[B * T];
        Rng r = new Rng(5);
        for (int i = 0; i < tg.length; i++) tg[i] = r.nextInt(V);
        INDArray ga = GradCheck.randn(Nd4j.create(DataType.FLOAT, 8192, 412), 1, 1.0);
        INDArray gb = GradCheck.randn(Nd4j.create(DataType.FLOAT, 412, 2048), 2, 0.02);
        INDArray gc = Nd4j.create(DataType.FLOAT, 8192, 2048);
        Runnable sgemm = () -> Nd4j.gemm(ga, gb, gc, false, false, 1.0, 0.0);
        Runnable attn = () -> { a.forward(src, B, M, T); a.backward(dOut); };
        Runnable outl = () -> { out.forward(x, tg); out.backward(1.0 / tg.length); };
        for (int i = 0; i < warm; i++) { sgemm.run(); attn.run(); outl.run(); }
        Recording rec = null;
        if (args.length > 2) {
            rec = new Recording(Configuration.getConfiguration("profile"));
            rec.setDestination(Path.of(args[2]));
            rec.start();
        }
        double[] ts = new double[reps], ta = new double[reps], to = new double[reps];
        for (int i = 0; i < reps; i++) { ts[i] = time(sgemm); ta[i] = time(attn); to[i] = time(outl); }
        if (rec != null) rec.stop();
        double sg = 2.0 * 8192 * 412 * 2048 / (med(ts) * 1e6);
        double L = M + T, n = B * T, in = H * hs;
        double attnFlop = 3 * (2 * n * d * in + 2 * 2 * B * L * d * in + 2 * L * d * in + 2 * n * in * d + 3 * 2 * n * L * in);
        double outFlop = 3 * 2 * n * d * V;
        System.out.printf("sgemm %.2f ms = %.1f GFLOP/s%n", med(ts), sg);
        System.out.printf("attention fwd+bwd %.2f ms = %.1f GFLOP/s = %.3f of sgemm%n", med(ta), attnFlop / (med(ta) * 1e6), attnFlop / (med(ta) * 1e6) / sg);
        System.out.printf("output    fwd+bwd %.2f ms = %.1f GFLOP/s = %.3f of sgemm%n", med(to), outFlop / (med(to) * 1e6), outFlop / (med(to) * 1e6) / sg);
    }

    static double time(Runnable run) {
        long t0 = System.nanoTime();
        run.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    static double med(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
