package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.model.Checkpoint;
import sigmoe.model.CheckpointState;
import sigmoe.spark.SparkTrainer;
import sigmoe.testutil.LocalCluster;
import sigmoe.testutil.TestCorpora;

/**
 * Executor loss with separate executor JVMs (local-cluster[2,1,1024]): one executor JVM halts itself in the middle of a
 * round ({@link HaltExecutorHook}); Spark re-runs the lost slice task (spark.task.maxFailures = 4) on a live executor,
 * which rebuilds the replica from the round's state (downloaded again from the driver's exchange). Nothing is lost or counted twice.
 */
class ExecutorLossTest {
    static final int B = 8, T = 32, K = 2, H = 3, STEPS = 12;
    /** Step index 4 is the second local step of round 1 (steps 3, 4, 5). */
    static final long HALT_AT = 4;

    @TempDir Path tmp;

    @Test
    void anExecutorKilledMidRoundLosesNoStepAndCountsTheRebuild() throws Exception {
        runWithExecutorLoss("local");
    }

    /** The barrier stage of the global regulariser: the whole stage is retried and both replicas rebuilt. */
    @Test
    @Tag("slow")
    void anExecutorKilledInABarrierRoundLosesNoStep() throws Exception {
        runWithExecutorLoss("global");
    }

    void runWithExecutorLoss(String entropyMode) throws Exception {
        LocalCluster.prepareSparkHome();
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 40_000, 4_000, 4_000);
        Path marker = tmp.resolve("halt-at");
        Files.writeString(marker, Long.toString(HALT_AT));
        String flags = System.getProperty("sigmoe.jvm.flags", "") + " -Dsigmoe.test.fault_hook=" + HaltExecutorHook.class.getName()
                + " -D" + HaltExecutorHook.MARKER_PROPERTY + "=" + marker;
        SparkConf conf = LocalCluster.conf("ExecutorLossTest", 2, 1, 1024, LocalCluster.classes(), flags)
                // a lost executor fails its task once; the retry must be allowed (local-cluster's default is 4 too)
                .set("spark.task.maxFailures", "4");
        JavaSparkContext sc = new JavaSparkContext(conf);
        Path faulty = tmp.resolve("faulty"), reference = tmp.resolve("reference");
        long t0 = System.nanoTime();
        double faultySeconds, referenceSeconds;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            sc.setLogLevel("ERROR");
            String[] o = {"train.steps=" + STEPS, "train.averaging_frequency=" + H, "train.checkpoint_interval=6",
                    "train.entropy_reg_mode=" + entropyMode};
            SparkTrainer.run(Fixtures.config(corpus, faulty, o), sc, new PrintStream(log, true, StandardCharsets.UTF_8));
            faultySeconds = (System.nanoTime() - t0) / 1e9;
            assertFalse(Files.exists(marker), "the fault was injected");
            long t1 = System.nanoTime();
            SparkTrainer.run(Fixtures.config(corpus, reference, o), sc, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
            referenceSeconds = (System.nanoTime() - t1) / 1e9;
        } finally {
            sc.stop();
        }
        String[] halted = Files.readString(Path.of(marker + ".halted")).trim().split(" ");
        assertNotEquals(ProcessHandle.current().pid(), Long.parseLong(halted[0]), "an executor JVM halted, not the driver");
        assertEquals(HALT_AT, Long.parseLong(halted[1]));

        List<JsonNode> m = Fixtures.metrics(faulty), ref = Fixtures.metrics(reference);
        System.out.printf("executor loss (%s regulariser): faulty run %.1f s, reference %.1f s%n", entropyMode, faultySeconds, referenceSeconds);
        assertEquals(STEPS / H, m.size(), "one metrics line per round");
        long rebuilds = 0;
        for (int r = 0; r < m.size(); r++) {
            JsonNode x = m.get(r);
            System.out.printf("  round %d: step %d, loss %.5f (reference %.5f), tokens %d, rebuilds %d, round %.2f s%n", r,
                    x.get("step").asLong(), x.get("loss").asDouble(), ref.get(r).get("loss").asDouble(),
                    x.get("tokens").asLong(), x.get("rebuilds").asLong(), x.get("round_s").asDouble());
            assertEquals((r + 1L) * H, x.get("step").asLong(), "the cursor advances by H every round, without a gap");
            assertEquals((long) H * B * T, x.get("tokens").asLong(), "every stream's H steps counted exactly once");
            for (JsonNode layer : x.get("experts")) {
                long sel = 0;
                for (JsonNode c : layer.get("counts")) sel += c.asLong();
                assertEquals((long) H * B * T * K, sel, "expert selections of exactly H x B x T tokens (no step run twice)");
            }
            assertEquals(0, x.get("skipped_steps").asLong());
            double d = Math.abs(x.get("loss").asDouble() - ref.get(r).get("loss").asDouble());
            assertTrue(d < 0.1, "round " + r + ": the loss stays on the uninterrupted curve (|diff| = " + d + ")");
            rebuilds += x.get("rebuilds").asLong();
        }
        assertEquals(0, m.get(0).get("rebuilds").asLong());
        assertEquals(m.get(0).get("loss").asDouble(), ref.get(0).get("loss").asDouble(), 1e-6, "identical before the fault");
        assertTrue(m.get(1).get("rebuilds").asLong() >= 1, "the lost replica's rebuild is counted in the round it happened");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("replicas rebuilt during the run: " + rebuilds), log.toString());
        if (entropyMode.equals("global")) // Spark never retries a barrier ResultStage: the trainer re-runs the round
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("round 1: the barrier stage failed"), log.toString());
        // One Spark job spans all four rounds of the reference run; in the faulty run the failure starts another job
        // (the span ends after round 1 so that the retry gets a slot, or the barrier stage is re-run as a new job).
        assertEquals(1, ref.get(ref.size() - 1).get("spark_jobs").asInt());
        assertEquals(2, m.get(1).get("spark_jobs").asInt(), "a second job by the end of the failed round");

        // The checkpoint of the interrupted round is complete: every slice's state at step 6, no leftover temporaries.
        for (long step : new long[] {6, STEPS}) {
            Path ck = Fixtures.checkpoint(faulty, step);
            assertEquals(step, Checkpoint.load(ck.resolve("model.safetensors").toString()).step());
            for (int w = 0; w < 2; w++)
                assertEquals(step, CheckpointState.read(ck.resolve("state-slice-" + w + ".safetensors").toString()).getLong("step"));
        }
        assertEquals(List.of(), Fixtures.temporaries(faulty));
    }
}
