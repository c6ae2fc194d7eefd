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
import sigmoe.config.RunConfig;
import sigmoe.testutil.TestCorpora;

/**
 * The communication of a Spark round without its compute (not a unit test): the trainer's production round
 * ({@link SparkTrainer#aggregate} of {@link SliceTask}) with zero local steps, so the time is the state's publication,
 * its download into and upload from the replicas, the aggregation and the averaging alone. Arguments: CONFIG (default small-moe), ROUNDS
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
            RoundBuffers next = null;
            try (StateServer exchange = new StateServer("127.0.0.1", 0, workers)) {
                for (int r = 0; r < rounds; r++) {
                    sc.setJobGroup("comm", "round " + r, false);
                    long t0 = System.nanoTime(), cpu0 = CpuClock.process();
                    if (next == null) exchange.publish(r, plan.state);
                    else exchange.publish(r, next); // as the trainer does: the mean is already in the served buffers
                    long t1 = System.nanoTime();
                    RoundSpec spec = new RoundSpec(runId, json, workers, r, 0, null, null, -1, false, null, true, exchange.endpoint());
                    SliceResult sums = SparkTrainer.aggregate(rdd, spec, false, plan.resolved.train().treeDepth());
                    long t2 = System.nanoTime();
                    next = exchange.average(r, sums.attempts, 0, 0);
                    long t3 = System.nanoTime();
                    driver.add(new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t3 - t0) / 1e9,
                            (CpuClock.process() - cpu0) / 1e9});
                    results.add(sums);
                }
            }
        } finally {
            sc.stop();
        }
        List<RoundTimeline.Job> jobs = timeline.rounds();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "# Spark round communication, %s (%,d parameters), "
                + "2 executors, 0 local steps%n%n| round | total s | publish s | fetch s | load s | pack s | task run s | "
                + "result ser s | transfer s | merge + job end s | average s | driver CPU s | executor CPU s |%n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|%n",
                c, plan.state.params().length));
        double[] mean = new double[12];
        for (int r = 0; r < rounds; r++) {
            double[] d = driver.get(r);
            SliceResult s = results.get(r);
            RoundTimeline.Job j = jobs.get(r);
            RoundTimeline.Task last = j.last();
            double[] row = {d[3], d[0], s.maxFetchSeconds, s.maxLoadSeconds, s.maxPackSeconds, last.run() / 1e3,
                    last.resultSerialize() / 1e3, last.transfer() / 1e3, d[1] - (last.finish() - j.submitted) / 1e3, d[2], d[4],
                    s.maxExecutorCpuSeconds};
            b.append("| ").append(r);
            for (double x : row) b.append(String.format(Locale.ROOT, " | %.3f", x));
            b.append(" |\n");
            // rounds 0 and 1 build the replicas and warm the JIT up
            for (int i = 0; i < row.length && r >= 2; i++) mean[i] += row[i] / (rounds - 2);
        }
        b.append("| **mean of rounds 2+**");
        for (double x : mean) b.append(String.format(Locale.ROOT, " | %.3f", x));
        b.append(" |\n");
        System.out.println(b);
        System.out.println(threadCpu());
    }

    /** The driver JVM's CPU seconds by thread name (Linux /proc; digits folded), largest first: where its CPU went. */
    static String threadCpu() {
        java.util.Map<String, Double> by = new java.util.TreeMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) return "";
        double hz = 100; // USER_HZ
        for (java.io.File t : tasks) {
            try {
                String stat = Files.readString(t.toPath().resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                by.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / hz, Double::sum);
            } catch (Exception e) {
                // a thread that ended while being read
            }
        }
        StringBuilder b = new StringBuilder("driver JVM CPU s by thread:");
        by.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(14)
                .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.2f;", e.getKey(), e.getValue())));
        return b.toString();
    }
}
