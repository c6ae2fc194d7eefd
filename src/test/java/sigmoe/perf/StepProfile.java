package sigmoe.perf;

import java.nio.file.Path;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Runs training steps of one configuration for a profiler (bench/step-bench.sh's setup, no timing of its own):
 * {@code java -XX:StartFlightRecording=filename=step.jfr,settings=profile ... sigmoe.perf.StepProfile conf/small-moe.conf 12},
 * then {@link JfrSummary} on the recording. With OUT.jfr and WARMUP, it records (settings=profile) only the steps
 * after the first WARMUP ones, i.e. the steady state without first-step allocation and JIT warm-up.
 * Usage: StepProfile CONFIG [steps=12 [OUT.jfr WARMUP]]
 */
public final class StepProfile {
    public static void main(String[] args) throws Exception {
        StepBench.Setup s = new StepBench.Setup(args[0], 0, 0);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        int warm = args.length > 3 ? Integer.parseInt(args[3]) : -1;
        Recording rec = null;
        for (int i = 0; i < steps; i++) {
            if (i == warm) {
                rec = new Recording(Configuration.getConfiguration("profile"));
                rec.setDestination(Path.of(args[2]));
                rec.start();
            }
            long t0 = System.nanoTime();
            s.step();
            System.out.printf("step %d: %.0f ms%n", i, (System.nanoTime() - t0) / 1e6);
        }
        if (rec != null) rec.stop();
    }
}
