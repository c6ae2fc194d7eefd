package sigmoe.perf;

/**
 * Runs training steps of one configuration for a profiler (bench/step-bench.sh's setup, no timing of its own):
 * {@code java -XX:StartFlightRecording=filename=step.jfr,settings=profile ... sigmoe.perf.StepProfile conf/small-moe.conf 12},
 * then {@link JfrSummary} on the recording. The first two steps are warm-up (the recording still sees them).
 * Usage: StepProfile CONFIG [steps=12]
 */
public final class StepProfile {
    public static void main(String[] args) {
        StepBench.Setup s = new StepBench.Setup(args[0], 0, 0);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            s.step();
            System.out.printf("step %d: %.0f ms%n", i, (System.nanoTime() - t0) / 1e6);
        }
    }
}
