package sigmoe.nn;

import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward+backward time at a small training shape, FLOAT. Run with {@code mvn -Pslow test -Dtest=RelativeAttentionBench},
 * or as a plain main (to choose OMP_NUM_THREADS): {@code java -cp target/classes:target/test-classes:$(cat
 * target/classpath.txt) sigmoe.nn.RelativeAttentionBench}.
 */
@Tag("slow")
class RelativeAttentionBench {
    public static void main(String[] args) { new RelativeAttentionBench().forwardBackwardTime(); }

    @Test
    void forwardBackwardTime() {
        int B = 4, T = 64, M = 64, d = 128, H = 4, hs = 32;
        ParamStore ps = new ParamStore(DataType.FLOAT);
        RelativeAttention a = new RelativeAttention(ps, "layers.0.attn", d, H, hs);
        ps.allocate();
        a.initialise(new Rng(1), 16);
        INDArray src = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * (M + T), d), 2, 1.0);
        INDArray dOut = GradCheck.randn(Nd4j.create(DataType.FLOAT, B * T, d), 3, 1.0);
        for (int i = 0; i < 30; i++) { a.forward(src, B, M, T); a.backward(dOut); }
        int reps = 9, inner = 20;
        double[] fwd = new double[reps], both = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) a.forward(src, B, M, T);
            long t1 = System.nanoTime();
            for (int i = 0; i < inner; i++) { a.forward(src, B, M, T); a.backward(dOut); }
            long t2 = System.nanoTime();
            fwd[r] = (t1 - t0) / 1e6 / inner;
            both[r] = (t2 - t1) / 1e6 / inner;
        }
        Arrays.sort(fwd);
        Arrays.sort(both);
        System.out.printf("RelativeAttention B=%d T=%d M=%d d=%d H=%d hs=%d FLOAT: forward %.2f ms, forward+backward %.2f ms "
                + "(median of %d; min %.2f, max %.2f)%n", B, T, M, d, H, hs, fwd[reps / 2], both[reps / 2], reps, both[0], both[reps - 1]);
    }
}
