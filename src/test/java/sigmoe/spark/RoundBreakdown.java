package sigmoe.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
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
 * replica lookup / compute / upload, the driver's averaging, whole cycles from {@code elapsed_s}) together with Spark's
 * job metrics ({@link RoundTimeline}: jobs, and what each costs to start). The first round (JIT, ND4J loading, replica
 * build, the first job's start) is not measured.
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
        List<RoundTimeline.Job> jobs = timeline.spans();
        // Spark's per-job machinery, paid once per span of train.rounds_per_job rounds (in the cycle of the span's
        // first round): submit → first task launch, and the slowest task's deserialisation
        double perJob = 0;
        for (RoundTimeline.Job j : jobs) {
            long deser = j.tasks.stream().mapToLong(RoundTimeline.Task::deserialize).max().orElse(0);
            perJob += ((j.firstLaunch() - j.submitted) + deser) / 1e3 / jobs.size();
        }
        Map<String, Double> parts = new LinkedHashMap<>();
        double cycle = 0, compute = 0;
        double[] tps = new double[m.size() - 1];
        int n = m.size() - 1;
        for (int r = 1; r < m.size(); r++) {
            JsonNode x = m.get(r);
            double c = x.get("elapsed_s").asDouble() - m.get(r - 1).get("elapsed_s").asDouble();
            double attributed = 0;
            Map<String, Double> p = new LinkedHashMap<>();
            p.put(PUBLISH, x.get("broadcast_s").asDouble());
            p.put("executor: state download into the replica (fetch)", x.get("fetch_s").asDouble());
            p.put("executor: find or build the replica (load)", x.get("load_s").asDouble());
            p.put("executor: state + report upload, as the driver received it (pack)", x.get("pack_s").asDouble());
            p.put("driver: averaging of the uploads + finite check", x.get("average_s").asDouble());
            for (double v : p.values()) attributed += v;
            attributed += x.get("compute_s").asDouble();
            p.put("rest: waits, wake-ups, task bookkeeping, Spark job starts (unattributed)", Math.max(0, c - attributed));
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
        parts.put("Spark jobs in the run (one per span of train.rounds_per_job rounds)", (double) jobs.size());
        parts.put("per Spark job: submit → first task launch + task deserialisation", perJob);
        long rebuilds = m.stream().mapToLong(j -> j.get("rebuilds").asLong()).sum();
        Arrays.sort(tps);
        return new Result(label, workers, h, n, tps[n / 2], cycle, compute, parts, rebuilds);
    }

    /** local-cluster with {@code workers} executor JVMs of 1 core and the given settings over the defaults. */
    static SparkConf conf(int workers, int executorMb, List<String> sparkKeys) {
        String classes = System.getProperty("sigmoe.classes", sigmoe.testutil.LocalCluster.classes());
        // the JVM of a 1-core executor sized to its core: with the machine's count its GC and JIT threads ran
        // beside the other executor's task (tiny, H = 10: 2 vs 1 executors 1.32× → 1.73×, docs/performance.md)
        SparkConf conf = sigmoe.testutil.LocalCluster.conf("SparkBench", workers, 1, executorMb, classes,
                System.getProperty("sigmoe.jvm.flags", "") + " -XX:ActiveProcessorCount=1");
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
