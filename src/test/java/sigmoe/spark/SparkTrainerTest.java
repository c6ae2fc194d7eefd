package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.cli.SparkContexts;
import sigmoe.config.RunConfig;
import sigmoe.testutil.TestCorpora;
import sigmoe.data.Corpus;
import sigmoe.model.Checkpoint;
import sigmoe.model.TransformerXL;
import sigmoe.train.Replica;
import sigmoe.train.Trainer;

class SparkTrainerTest {
    @TempDir static Path tmp;
    static Path corpus;
    static JavaSparkContext sc;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void setUp() throws Exception {
        corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 80_000, 8_000, 8_000);
        sc = SparkContexts.start("local[2]", "SparkTrainerTest");
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void tearDown() { if (sc != null) sc.stop(); }

    public static RunConfig config(String runDir, long steps, int workers, int h, String... more) {
        List<String> o = new ArrayList<>(List.of(
                "train.data=" + corpus, "train.run_dir=" + runDir, "train.steps=" + steps, "train.batch_size=8",
                "train.segment_length=32", "train.lr=3e-3", "train.warmup=3", "train.log_interval=1",
                "train.eval_interval=0", "train.eval_batches=2", "train.checkpoint_interval=0",
                "train.workers=" + workers, "train.averaging_frequency=" + h,
                "model.d_model=32", "model.n_layers=2", "model.n_heads=2", "model.head_dim=16", "model.ffn=sigma_moe",
                "model.d_ff=null", "model.n_experts=4", "model.expert_size=16", "model.top_k=2",
                "model.entropy_reg=0.01", "model.dropout=0.1", "model.vocab_size=null"));
        o.addAll(List.of(more));
        return RunConfig.parse("", o);
    }

    static Trainer.Summary spark(RunConfig rc) throws Exception {
        return SparkTrainer.run(rc, sc, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
    }

    static byte[] model(String dir, long step) throws Exception {
        return Files.readAllBytes(Path.of(dir, "checkpoints", String.format("step-%08d", step), "model.safetensors"));
    }

    static List<JsonNode> metrics(String dir) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of(dir, "metrics.jsonl"))) out.add(JSON.readTree(l));
        return out;
    }

    @Test
    void oneSliceGivesExactlyTheSingleProcessTrainersParameters() throws Exception {
        String single = tmp.resolve("single").toString(), one = tmp.resolve("one-slice").toString();
        Trainer.run(config(single, 6, 1, 1), new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
        spark(config(one, 6, 1, 3));
        assertArrayEquals(model(single, 6), model(one, 6));
    }

    @Test
    void aSliceTaskRunsItsJavaLoopsOnItsOwnCoresOnly() throws Exception {
        // the JVM sees the whole machine; a task of spark.task.cpus = 1 (local[2]'s default) must not fan its loops
        // and expert workers out over more threads than its core
        int saved = sigmoe.nn.RowParallel.threads();
        sigmoe.nn.RowParallel.setThreads(5);
        try {
            spark(config(tmp.resolve("cores").toString(), 4, 2, 2));
            assertEquals(1, sigmoe.nn.RowParallel.threads());
        } finally {
            sigmoe.nn.RowParallel.setThreads(saved);
        }
    }

    /** Slice tasks hold their slots across rounds and every round needs all W: with fewer slots it used to hang. */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void moreSlicesThanTaskSlotsIsAClearErrorNotAHang() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> spark(config(tmp.resolve("too-many").toString(), 4, 4, 2, "train.entropy_reg_mode=local")));
        assertTrue(e.getMessage().startsWith("train.workers = 4 slices need 4 task slots"), e.getMessage());
        assertTrue(e.getMessage().contains("local[2] with spark.task.cpus = 1 has 2"), e.getMessage());
    }

    @Test
    void twoSlicesTrainAndTheDriverSeesEveryLayersExpertCounts() throws Exception {
        String dir = tmp.resolve("two").toString();
        spark(config(dir, 40, 2, 4, "train.entropy_reg_mode=global"));
        List<JsonNode> m = metrics(dir);
        assertEquals(10, m.size());
        double first = m.get(0).get("loss").asDouble(), last = m.get(m.size() - 1).get("loss").asDouble();
        assertTrue(last < first - 0.5, "loss falls: " + first + " -> " + last);
        JsonNode experts = m.get(m.size() - 1).get("experts");
        assertEquals(2, experts.size());
        for (JsonNode layer : experts) {
            long sel = 0;
            for (JsonNode c : layer.get("counts")) sel += c.asLong();
            assertEquals(4L * 8 * 32 * 2, sel, "H=4 steps x 8 streams x 32 tokens x K=2, summed over both slices");
        }
        assertEquals(0, m.get(m.size() - 1).get("rebuilds").asLong());
    }

    /**
     * Slice tasks that live for a span of rounds compute what a job per round computes, bit for bit, whatever the
     * span (one that does not divide the rounds included), with one Spark job per span.
     */
    @Test
    void theSpanOfASliceTaskChangesNothingButTheNumberOfSparkJobs() throws Exception {
        byte[] want = null;
        List<JsonNode> wantMetrics = null;
        for (int span : new int[] {1, 3, 10}) {
            String dir = tmp.resolve("span-" + span).toString();
            spark(config(dir, 14, 2, 2, "train.rounds_per_job=" + span));
            byte[] got = model(dir, 14);
            List<JsonNode> m = metrics(dir);
            assertEquals(7, m.size());
            assertEquals((7 + span - 1) / span, m.get(6).get("spark_jobs").asInt(), "one job per span of " + span + " rounds");
            if (want == null) {
                want = got;
                wantMetrics = m;
                continue;
            }
            assertArrayEquals(want, got, "span " + span);
            for (int r = 0; r < 7; r++) {
                assertEquals(wantMetrics.get(r).get("loss").asDouble(), m.get(r).get("loss").asDouble(), 0, "round " + r);
                assertEquals(wantMetrics.get(r).get("experts").toString(), m.get(r).get("experts").toString());
            }
        }
    }

    @Test
    void aResumedTwoSliceRunEqualsTheUninterruptedOneBitForBit() throws Exception {
        String dir = tmp.resolve("resume").toString();
        spark(config(dir, 12, 2, 2, "train.checkpoint_interval=6"));
        byte[] expected = model(dir, 12);
        Path last = Path.of(dir, "checkpoints", "step-00000012");
        try (var s = Files.walk(last)) { s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        spark(config(dir, 12, 2, 2, "train.checkpoint_interval=6", "train.resume=true"));
        assertArrayEquals(expected, model(dir, 12));
        assertEquals(6, metrics(dir).size(), "metrics continue without duplicated rounds");
    }

    @Test
    void theNextRoundComputesWhileTheDriverLogsValidatesAndCheckpointsTheRoundBefore() throws Exception {
        String dir = tmp.resolve("overlap").toString();
        RunConfig rc = config(dir, 6, 2, 2, "train.eval_interval=2", "train.checkpoint_interval=2");
        CountDownLatch logged = new CountDownLatch(1);
        AtomicInteger overlapped = new AtomicInteger();
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, "UTF-8") {
            @Override
            public void println(String x) {
                super.println(x);
                if (x.startsWith("step 2/6")) logged.countDown(); // round 0's progress line, after its validation
            }
        };
        // Round 1's first step (local mode: the tasks run in this JVM) waits for round 0's progress line. Were round 1
        // submitted only after the driver's bookkeeping of round 0, the line would already be out; it is not, and
        // the wait ends only because the driver writes it while round 1 runs.
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override
            public void beforeForward(Replica r, long step) {
                try {
                    if (step == 2 && logged.getCount() == 1 && logged.await(30, TimeUnit.SECONDS)) overlapped.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            SparkTrainer.run(rc, sc, out);
        } finally {
            Replica.setFaultHook(null);
        }
        assertTrue(overlapped.get() >= 1, "round 1 computed while round 0's line was still to be written");
        // Each round's validation and checkpoint hold that round's averaged state, not the next one's.
        List<JsonNode> m = metrics(dir);
        assertEquals(3, m.size());
        Corpus corpus = Corpus.open(rc.train().data());
        for (JsonNode line : m) {
            long step = line.get("step").asLong();
            TransformerXL model = new TransformerXL(rc.modelFor(corpus.vocabSize()), org.nd4j.linalg.api.buffer.DataType.FLOAT);
            Checkpoint.load(Path.of(dir, "checkpoints", String.format("step-%08d", step), "model.safetensors").toString())
                    .loadInto(model.params);
            double valid = SparkTrainer.validate(model, corpus.split("valid"), rc.train());
            assertEquals(valid, line.get("valid_loss").asDouble(), 1e-6, "step " + step);
        }
        assertTrue(m.get(0).get("valid_loss").asDouble() != m.get(1).get("valid_loss").asDouble());
    }
}
