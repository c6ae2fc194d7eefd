package sigmoe.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sigmoe.config.RunConfig;

/**
 * One benchmark run of the Spark trainer in executor JVMs of 1 core (local-cluster) and where its round time went:
 * the trainer's own timings from metrics.jsonl (the state's publication on the driver, the slowest slice's download /
 * replica lookup / compute / upload, the driver's aggregation wait and averaging, whole cycles from {@code elapsed_s}) together with Spark's
 * task metrics ({@link RoundTimeline}). The first round (JIT, ND4J loading, replica build) is not measured.
 */
final class RoundBreakdown {
    /** The part "broadcast_s" of metrics.jsonl: the round state copied into the driver's exchange. */
    static final String PUBLISH = "driver: state publication (copy into the exchange)";

    private RoundBreakdown() {}

    /** Parts of the mean round cycle, in seconds, in the order of a round; compute is the slowest slice's H steps. */
    record Result(String label, int workers, int h, int measuredRounds, double tokensPerS, double cycle, double compute,
                  Map<String, Double> parts, long rebuilds) {
        double outside() { return 1 - compute / cycle; }
    }

    static Result run(String label, Path dir, int workers, int h, int rounds, int executorMb, List<String> trainerKeys,
                      List<String> sparkKeys) throws Exception {
        SparkConf conf = conf(workers, executorMb, sparkKeys);
        List<String> o = new ArrayList<>(trainerKeys);
        o.addAll(List.of("train.run_dir=" + dir, "train.steps=" + (long) h * rounds, "train.workers=" + workers,
                "train.averaging_frequency=" + h, "train.log_interval=1", "train.eval_interval=0", "train.checkpoint_interval=0"));
        RunConfig rc = o.get(0).endsWith(".conf") ? RunConfig.load(List.of(o.get(0)), o.subList(1, o.size()))
                : RunConfig.parse("", o);
        RoundTimeline timeline = new RoundTimeline();
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            sc.setLogLevel("WARN");
            sc.sc().addSparkListener(timeline);
            SparkTrainer.run(rc, sc, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
        } finally {
            sc.stop(); // drains the listener bus
        }
        List<JsonNode> m = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) m.add(new ObjectMapper().readTree(l));
        List<RoundTimeline.Job> jobs = timeline.rounds();
        if (jobs.size() != m.size())
            throw new IllegalStateException(label + ": " + jobs.size() + " round jobs but " + m.size() + " metrics lines");
        Map<String, Double> parts = new LinkedHashMap<>();
        double cycle = 0, compute = 0;
        double[] tps = new double[m.size() - 1];
        int n = m.size() - 1;
        for (int r = 1; r < m.size(); r++) {
            JsonNode x = m.get(r);
            RoundTimeline.Job j = jobs.get(r);
            RoundTimeline.Task last = j.last();
            double c = x.get("elapsed_s").asDouble() - m.get(r - 1).get("elapsed_s").asDouble();
            double spanToLast = (last.finish() - j.submitted) / 1e3;
            double attributed = 0;
            Map<String, Double> p = new LinkedHashMap<>();
            p.put(PUBLISH, x.get("broadcast_s").asDouble());
            p.put("Spark: job submit to first task launch", (j.firstLaunch() - j.submitted) / 1e3);
            p.put("executor: task deserialisation", last.deserialize() / 1e3);
            p.put("executor: state download into the replica (fetch)", x.get("fetch_s").asDouble());
            p.put("executor: find or build the replica (load)", x.get("load_s").asDouble());
            p.put("executor: state upload to the driver (pack)", x.get("pack_s").asDouble());
            p.put("executor: rest of the task (unattributed)", Math.max(0, last.run() / 1e3 - x.get("fetch_s").asDouble()
                    - x.get("load_s").asDouble() - x.get("compute_s").asDouble() - x.get("pack_s").asDouble()));
            p.put("executor: result serialisation", last.resultSerialize() / 1e3);
            p.put("result transfer + driver deserialisation (last task)", last.transfer() / 1e3);
            p.put("driver: merge (combOp: losses, counts) + job end", Math.max(0, x.get("aggregate_s").asDouble() - spanToLast));
            p.put("driver: averaging of the uploads + finite check", x.get("average_s").asDouble());
            for (double v : p.values()) attributed += v;
            attributed += x.get("compute_s").asDouble();
            p.put("driver: metrics, expert stats, rest (unattributed)", Math.max(0, c - attributed));
            p.put("result bytes per task (MB)", last.resultBytes() / 1e6);
            // CPU seconds: what the communication costs on an idle machine (its wall time here is mostly waiting for a core)
            double computeCpu = x.get("compute_cpu_s").asDouble(), executorCpu = x.get("executor_cpu_s").asDouble();
            double outsideCpu = Math.max(0, executorCpu - computeCpu) + x.get("driver_cpu_s").asDouble();
            p.put("CPU s: compute (task thread, H steps)", computeCpu);
            p.put("CPU s: executor JVM outside compute (slowest slice)", Math.max(0, executorCpu - computeCpu));
            p.put("CPU s: driver JVM", x.get("driver_cpu_s").asDouble());
            p.put("CPU share outside compute, %", 100 * outsideCpu / (outsideCpu + computeCpu));
            for (Map.Entry<String, Double> e : p.entrySet()) parts.merge(e.getKey(), e.getValue() / n, Double::sum);
            cycle += c / n;
            compute += x.get("compute_s").asDouble() / n;
            tps[r - 1] = x.get("tokens").asDouble() / c;
        }
        long rebuilds = m.stream().mapToLong(j -> j.get("rebuilds").asLong()).sum();
        Arrays.sort(tps);
        return new Result(label, workers, h, n, tps[n / 2], cycle, compute, parts, rebuilds);
    }

    /** local-cluster with {@code workers} executor JVMs of 1 core and the given settings over the defaults. */
    static SparkConf conf(int workers, int executorMb, List<String> sparkKeys) {
        String classes = System.getProperty("sigmoe.classes",
                Path.of("target/classes").toAbsolutePath() + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath());
        SparkConf conf = new SparkConf().setMaster("local-cluster[" + workers + ",1," + executorMb + "]").setAppName("SparkBench")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.executor.extraClassPath", classes)
                // the JVM of a 1-core executor sized to its core: with the machine's count its GC and JIT threads ran
                // beside the other executor's task (tiny, H = 10: 2 vs 1 executors 1.32× → 1.73×, docs/performance.md)
                .set("spark.executor.extraJavaOptions", System.getProperty("sigmoe.jvm.flags", "") + " -XX:ActiveProcessorCount=1")
                .set("spark.executorEnv.OMP_NUM_THREADS", "1").set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
        for (String kv : sparkKeys) conf.set(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        return conf;
    }

    /** A markdown table of one or more results side by side, one row per part. */
    static String table(List<Result> rs) {
        StringBuilder b = new StringBuilder("| seconds per round (mean of measured rounds) |");
        for (Result r : rs) b.append(' ').append(r.label()).append(" |");
        b.append("\n|---|").append("---|".repeat(rs.size())).append('\n');
        row(b, "executors × H × measured rounds", rs, r -> r.workers() + " × " + r.h() + " × " + r.measuredRounds());
        row(b, "**round cycle**", rs, r -> f3(r.cycle()));
        row(b, "compute (H steps, slowest slice)", rs, r -> f3(r.compute()));
        for (String k : rs.get(0).parts().keySet()) row(b, k, rs, r -> f3(r.parts().getOrDefault(k, Double.NaN)));
        row(b, "**outside compute (share of the cycle)**", rs, r -> String.format(Locale.ROOT, "**%.1f%%**", 100 * r.outside()));
        row(b, "tokens/s (median cycle)", rs, r -> String.format(Locale.ROOT, "%,.0f", r.tokensPerS()));
        row(b, "replica rebuilds", rs, r -> Long.toString(r.rebuilds()));
        return b.toString();
    }

    private static void row(StringBuilder b, String name, List<Result> rs, java.util.function.Function<Result, String> f) {
        b.append("| ").append(name).append(" |");
        for (Result r : rs) b.append(' ').append(f.apply(r)).append(" |");
        b.append('\n');
    }

    private static String f3(double v) { return String.format(Locale.ROOT, "%.3f", v); }
}
