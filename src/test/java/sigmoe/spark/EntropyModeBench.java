package sigmoe.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import sigmoe.cli.SparkContexts;
import sigmoe.config.RunConfig;
import sigmoe.testutil.TestCorpora;
import sigmoe.train.Trainer;

/**
 * The σ-MoE entropy regulariser across Spark slices, {@code global} (exact: p of the global batch via allGather)
 * against {@code local} (each slice's own batch), on the same run: final train/valid loss and, per layer, the dead
 * expert fraction and usage relative perplexity of the last rounds' summed counts. bench/entropy-mode-bench.sh;
 * writes target/bench/entropy-mode.md.
 */
public final class EntropyModeBench {
    public static void main(String[] args) throws Exception {
        long steps = args.length > 0 ? Long.parseLong(args[0]) : 200;
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path tmp = Files.createTempDirectory("entropy-bench");
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 400_000, 40_000, 20_000);
        StringBuilder md = new StringBuilder("# Entropy regulariser across slices: global vs local\n\n");
        md.append(String.format(Locale.ROOT, "%d slices x 4 streams x 64 bytes, %d steps, H = 5, N_E = 16, G = 16, K = 2, "
                + "γ = 0.01, d = 64, 2 layers, byte-level Moby-Dick\n\n", workers, steps));
        md.append("| mode | train loss | valid loss | dead experts (layer 0 / 1) | usage rel. perplexity (layer 0 / 1) | s |\n|---|---|---|---|---|---|\n");
        JavaSparkContext sc = SparkContexts.start("local[" + workers + "]", "EntropyModeBench");
        sc.setLogLevel("WARN");
        try {
            for (String mode : new String[] {"local", "global"}) {
                Path dir = tmp.resolve(mode);
                List<String> o = new ArrayList<>(List.of("train.data=" + corpus, "train.run_dir=" + dir,
                        "train.steps=" + steps, "train.batch_size=" + 4 * workers, "train.segment_length=64",
                        "train.lr=2e-3", "train.warmup=10", "train.log_interval=1", "train.eval_interval=0",
                        "train.eval_batches=8", "train.workers=" + workers, "train.averaging_frequency=5",
                        "train.entropy_reg_mode=" + mode, "model.ffn=sigma_moe", "model.d_ff=null",
                        "model.vocab_size=null", "model.d_model=64", "model.n_layers=2", "model.n_heads=2",
                        "model.head_dim=32", "model.n_experts=16", "model.expert_size=16", "model.top_k=2",
                        "model.entropy_reg=0.01", "model.dropout=0"));
                long t0 = System.nanoTime();
                Trainer.Summary s = SparkTrainer.run(RunConfig.parse("", o), sc, new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
                double secs = (System.nanoTime() - t0) / 1e9;
                List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
                JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
                JsonNode e = last.get("experts");
                md.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.3f / %.3f | %.3f / %.3f | %.0f |%n", mode,
                        s.trainLoss(), s.validLoss(), e.get(0).get("dead_fraction").asDouble(), e.get(1).get("dead_fraction").asDouble(),
                        e.get(0).get("usage_rel_perplexity").asDouble(), e.get(1).get("usage_rel_perplexity").asDouble(), secs));
            }
        } finally {
            sc.stop();
        }
        System.out.println(md);
        Path out = Path.of("target/bench/entropy-mode.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
    }
}
