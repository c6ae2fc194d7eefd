package sigmoe.spark;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sigmoe.config.RunConfig;
import sigmoe.testutil.TestCorpora;

/**
 * The communication of a Spark round without its compute (not a unit test): the trainer's production round
 * ({@link SparkTrainer#aggregate} of {@link SliceTask}) with zero local steps, so the time is the broadcast, the copies
 * into and out of the replicas, the aggregation and the averaging alone. Arguments: CONFIG (default small-moe), ROUNDS
 * (default 8), then spark.KEY=VALUE settings. Two executor JVMs of 1 core (local-cluster).
 */
public final class CommBench {
    public static void main(String[] args) throws Exception {
        LocalClusterTest.prepareSparkHome();
        String c = args.length > 0 ? args[0] : "small-moe";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        List<String> spark = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
        Path tmp = Files.createTempDirectory("comm-bench");
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 400_000, 20_000, 20_000);
        RunConfig rc = RunConfig.load(List.of("conf/" + c + ".conf"), List.of("train.data=" + corpus, "train.warmup=0",
                "train.run_dir=" + tmp.resolve("run"), "train.workers=2"));
        SparkTrainer.Plan plan = SparkTrainer.plan(rc, new PrintStream(PrintStream.nullOutputStream()));
        int workers = 2;
        RoundTimeline timeline = new RoundTimeline();
        JavaSparkContext sc = new JavaSparkContext(RoundBreakdown.conf(workers, 3072, spark));
        List<double[]> driver = new ArrayList<>();
        List<SliceResult> results = new ArrayList<>();
        try {
            sc.setLogLevel("WARN");
            sc.sc().addSparkListener(timeline);
            JavaRDD<Integer> rdd = sc.parallelize(List.of(0, 1), workers).cache();
            rdd.count();
            String runId = UUID.randomUUID().toString(), json = plan.resolved.toJson();
            RoundState state = plan.state;
            for (int r = 0; r < rounds; r++) {
                sc.setJobGroup("comm", "round " + r, false);
                long t0 = System.nanoTime();
                Broadcast<RoundState> bc = sc.broadcast(state);
                long t1 = System.nanoTime();
                RoundSpec spec = new RoundSpec(runId, json, workers, r, 0, null, null, -1, false, null, true);
                SliceResult sums = SparkTrainer.aggregate(rdd, spec, bc, false, plan.resolved.train().treeDepth());
                long t2 = System.nanoTime();
                bc.destroy();
                state = new RoundState(0, 0, sums.mean(0, workers), sums.mean(1, workers), sums.mean(2, workers));
                long t3 = System.nanoTime();
                driver.add(new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t3 - t0) / 1e9});
                results.add(sums);
            }
        } finally {
            sc.stop();
        }
        List<RoundTimeline.Job> jobs = timeline.rounds();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "# Spark round communication, %s (%,d parameters), "
                + "2 executors, 0 local steps%n%n| round | total s | broadcast s | fetch s | load s | pack s | task run s | "
                + "result ser s | transfer s | merge + job end s | average s |%n|---|---|---|---|---|---|---|---|---|---|---|%n",
                c, plan.state.params().length));
        for (int r = 0; r < rounds; r++) {
            double[] d = driver.get(r);
            SliceResult s = results.get(r);
            RoundTimeline.Job j = jobs.get(r);
            RoundTimeline.Task last = j.last();
            b.append(String.format(Locale.ROOT, "| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n", r,
                    d[3], d[0], s.maxFetchSeconds, s.maxLoadSeconds, s.maxPackSeconds, last.run() / 1e3, last.resultSerialize() / 1e3,
                    last.transfer() / 1e3, d[1] - (last.finish() - j.submitted) / 1e3, d[2]));
        }
        System.out.println(b);
    }
}
