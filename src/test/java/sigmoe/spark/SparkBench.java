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
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sigmoe.config.RunConfig;
import sigmoe.testutil.TestCorpora;

/**
 * Spark trainer benchmark (bench/spark-bench.sh; not a unit test): tokens/s with 1 and 2 executor JVMs of 1 core
 * each (weak scaling: 8 streams per slice), and the share of round time spent outside the slices' compute
 * (broadcast, scheduling, aggregation) for H = 1, 10, 50. Prints a table and writes it to target/bench/spark.md.
 */
public final class SparkBench {
    public static void main(String[] args) throws Exception {
        LocalClusterTest.prepareSparkHome();
        Path tmp = Files.createTempDirectory("spark-bench");
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 400_000, 20_000, 20_000);
        String model = args.length > 0 ? args[0] : "d_model=128,n_layers=2,n_heads=4,head_dim=32,n_experts=8,expert_size=32,top_k=2";
        long steps = args.length > 1 ? Long.parseLong(args[1]) : 60;
        StringBuilder md = new StringBuilder();
        md.append("# Spark trainer benchmark\n\nmodel: ").append(model).append(", segment 64, 8 streams per slice, byte-level Moby-Dick\n\n");
        md.append("| executors (1 core) | H | steps | tokens/s (median round) | round s | compute s | broadcast s | outside compute | rebuilds |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        double[] tps = new double[3];
        int[][] runs = {{1, 10}, {2, 10}, {2, 1}, {2, 50}};
        for (int[] r : runs) {
            int w = r[0], h = r[1];
            long n = h == 50 ? Math.max(steps, 150) : steps;
            Row row = run(corpus, tmp.resolve("run-" + w + "-" + h), model, w, h, n);
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %,.0f | %.3f | %.3f | %.4f | %.1f%% | %d |%n", w, h, n, row.tps,
                    row.round, row.compute, row.broadcast, 100 * row.outside, row.rebuilds));
            if (h == 10) tps[w] = row.tps;
        }
        md.append(String.format(Locale.ROOT, "%nscaling, 2 executors vs 1 (H = 10): **%.2fx** tokens/s%n", tps[2] / tps[1]));
        System.out.println(md);
        Path out = Path.of("target/bench/spark.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
    }

    record Row(double tps, double round, double compute, double broadcast, double outside, long rebuilds) {}

    static Row run(Path corpus, Path dir, String model, int workers, int h, long steps) throws Exception {
        String classes = System.getProperty("sigmoe.classes",
                Path.of("target/classes").toAbsolutePath() + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath());
        SparkConf conf = new SparkConf().setMaster("local-cluster[" + workers + ",1,2048]").setAppName("SparkBench")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.executor.extraClassPath", classes)
                .set("spark.executor.extraJavaOptions", System.getProperty("sigmoe.jvm.flags", ""))
                .set("spark.executorEnv.OMP_NUM_THREADS", "1").set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
        List<String> o = new ArrayList<>(List.of("train.data=" + corpus, "train.run_dir=" + dir, "train.steps=" + steps,
                "train.batch_size=" + 8 * workers, "train.segment_length=64", "train.lr=1e-3", "train.warmup=0",
                "train.log_interval=1", "train.eval_interval=0", "train.workers=" + workers,
                "train.averaging_frequency=" + h, "model.ffn=sigma_moe", "model.d_ff=null", "model.vocab_size=null",
                "model.entropy_reg=0.001", "model.dropout=0"));
        for (String kv : model.split(",")) o.add("model." + kv);
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            sc.setLogLevel("WARN");
            SparkTrainer.run(RunConfig.parse("", o), sc, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
        } finally {
            sc.stop();
        }
        List<JsonNode> m = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) m.add(new ObjectMapper().readTree(l));
        List<JsonNode> warm = m.size() > 2 ? m.subList(1, m.size()) : m; // the first round loads ND4J and warms the JIT
        double[] t = warm.stream().mapToDouble(j -> j.get("tokens_per_s").asDouble()).toArray();
        double round = warm.stream().mapToDouble(j -> j.get("round_s").asDouble()).sum();
        double compute = warm.stream().mapToDouble(j -> j.get("compute_s").asDouble()).sum();
        double bc = warm.stream().mapToDouble(j -> j.get("broadcast_s").asDouble()).sum();
        long rebuilds = m.stream().mapToLong(j -> j.get("rebuilds").asLong()).sum();
        Arrays.sort(t);
        return new Row(t[t.length / 2], round / warm.size(), compute / warm.size(), bc / warm.size(), 1 - compute / round, rebuilds);
    }
}
