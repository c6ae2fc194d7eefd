package sigmoe.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import sigmoe.testutil.TestCorpora;

/**
 * Spark trainer benchmark (bench/spark-bench.sh; not a unit test), executor JVMs of 1 core (local-cluster):
 * <ul>
 *   <li>{@code tiny}: tokens/s with 1 and 2 executors (weak scaling: 8 streams per slice) and the share of the round
 *   cycle outside the slices' compute for H = 1, 10, 50;</li>
 *   <li>{@code small}: conf/small-moe.conf and conf/small-dense.conf (B = 16 streams of 128 tokens, 2 slices), H = 10:
 *   where a round's time goes, part by part ({@link RoundBreakdown}).</li>
 * </ul>
 * Both on byte-level Moby-Dick. Arguments: SIZES (comma-separated, default tiny,small; small-moe or
 * small-dense alone), ROUNDS of the small runs
 * (default 5, the first not measured), then any spark.KEY=VALUE settings and train.KEY=VALUE / model.KEY=VALUE overrides
 * for every run
 * and any variants LABEL:KEY=VALUE;KEY=VALUE (spark.*, train.* or model.* keys), each a small run of its own in the same benchmark run. Prints the tables and writes
 * them to target/bench/spark.md.
 */
public final class SparkBench {
    static final String TINY = "d_model=128,n_layers=2,n_heads=4,head_dim=32,n_experts=8,expert_size=32,top_k=2";

    public static void main(String[] args) throws Exception {
        sigmoe.testutil.LocalCluster.prepareSparkHome();
        List<String> sizes = Arrays.asList((args.length > 0 ? args[0] : "tiny,small").split(","));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<String> spark = new ArrayList<>(), variants = new ArrayList<>(), trainer = new ArrayList<>();
        for (int i = 2; i < args.length; i++)
            (args[i].matches("(train|model)\\..*=.*") ? trainer : args[i].matches("[\\w-]+:.*") ? variants : spark).add(args[i]);
        if (variants.isEmpty()) variants.add("");
        Path tmp = Files.createTempDirectory("spark-bench");
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 400_000, 20_000, 20_000);
        StringBuilder md = new StringBuilder("# Spark trainer benchmark\n\nbyte-level Moby-Dick; executors of 1 core "
                + "(local-cluster); extra Spark settings: " + (spark.isEmpty() ? "none" : String.join(" ", spark))
                + "; trainer overrides: " + (trainer.isEmpty() ? "none" : String.join(" ", trainer)) + "\n");
        List<String> small = sizes.contains("small") ? List.of("small-moe", "small-dense")
                : sizes.stream().filter(x -> x.startsWith("small-")).toList();
        if (!small.isEmpty()) {
            List<RoundBreakdown.Result> rs = new ArrayList<>();
            for (String c : small) {
                for (String v : variants) { // label:spark.KEY=VALUE;spark.KEY=VALUE, compared in one benchmark run
                    List<String> keys = new ArrayList<>(List.of("conf/" + c + ".conf", "train.data=" + corpus, "train.warmup=0"));
                    keys.addAll(trainer);
                    List<String> conf = new ArrayList<>(spark);
                    String label = v.isEmpty() ? c : c + " " + v.substring(0, v.indexOf(':'));
                    for (String kv : v.substring(v.indexOf(':') + 1).split(";"))
                        if (!kv.isBlank()) (kv.matches("(train|model)\\..*") ? keys : conf).add(kv);
                    rs.add(RoundBreakdown.run(label, tmp.resolve("run-" + rs.size()), 2, 10, rounds, 3072, keys, conf));
                    System.out.println(RoundBreakdown.table(rs));
                }
            }
            md.append("\n## small (conf/small-*.conf: d 256, 4 layers, B = 16 × T = 128, 2 slices of 8 streams), H = 10\n\n")
                    .append(RoundBreakdown.table(rs));
        }
        if (sizes.contains("tiny")) {
            md.append("\n## tiny (").append(TINY).append(", segment 64, 8 streams per slice)\n\n").append(tiny(corpus, tmp, spark, trainer));
        }
        System.out.println(md);
        Path out = Path.of("target/bench/spark.md");
        sigmoe.testutil.BenchFiles.writeAtomically(out, md);
    }

    static String tiny(Path corpus, Path tmp, List<String> spark, List<String> trainer) throws Exception {
        StringBuilder md = new StringBuilder("| executors (1 core) | H | steps | tokens/s (median cycle) | round cycle s | compute s "
                + "| publish s | outside compute | rebuilds |\n|---|---|---|---|---|---|---|---|---|\n");
        double[] tps = new double[3];
        int[][] runs = {{1, 10}, {2, 10}, {2, 1}, {2, 50}};
        for (int[] r : runs) {
            // H = 10: 100 rounds, so most of the run is past the executors' JIT warm-up (20 rounds ended with C2 still taking
            // ~30% of a core and gave 1.06-1.55x; 100 rounds 1.39-1.62x, docs/performance.md, Session 5)
            int w = r[0], h = r[1], rounds = h == 1 ? 60 : h == 10 ? 100 : 4;
            List<String> keys = new ArrayList<>(List.of("train.data=" + corpus, "train.batch_size=" + 8 * w, "train.segment_length=64",
                    "train.lr=1e-3", "train.warmup=0", "model.ffn=sigma_moe", "model.d_ff=null", "model.vocab_size=null",
                    "model.entropy_reg=0.001", "model.dropout=0"));
            for (String kv : TINY.split(",")) keys.add("model." + kv);
            keys.addAll(trainer);
            RoundBreakdown.Result x = RoundBreakdown.run("tiny", tmp.resolve("run-" + w + "-" + h), w, h, rounds, 2048, keys, spark);
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %,.0f | %.3f | %.3f | %.4f | %.1f%% | %d |%n", w, h,
                    (long) h * rounds, x.tokensPerS(), x.cycle(), x.compute(),
                    x.parts().get(RoundBreakdown.PUBLISH), 100 * x.outside(), x.rebuilds()));
            if (h == 10) tps[w] = x.tokensPerS();
        }
        md.append(String.format(Locale.ROOT, "%nscaling, 2 executors vs 1 (H = 10): **%.2fx** tokens/s%n", tps[2] / tps[1]));
        return md.toString();
    }
}
