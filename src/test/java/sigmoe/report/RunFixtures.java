package sigmoe.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import sigmoe.train.MetricsLog;

/**
 * Synthetic run directories shaped like the trainers' output: metrics.jsonl lines built as Trainer and SparkTrainer
 * build them (maps serialised by MetricsLog.json) and a config.conf in RunConfig.toHocon's layout.
 */
final class RunFixtures {
    private RunFixtures() {}

    /** A σ-MoE run: {@code layers} σ-MoE layers (Transformer layers 0, 2, 4, ...) of {@code experts} experts. */
    static Path moeRun(Path dir, int rounds, int layers, int experts, boolean spark) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.conf"), config(true, experts));
        Files.writeString(dir.resolve("metrics.jsonl"), metrics(rounds, layers, experts, spark), StandardCharsets.UTF_8);
        return dir;
    }

    static Path denseRun(Path dir, int rounds) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.conf"), config(false, 0));
        Files.writeString(dir.resolve("metrics.jsonl"), metrics(rounds, 0, 0, false), StandardCharsets.UTF_8);
        return dir;
    }

    static String metrics(int rounds, int layers, int experts, boolean spark) {
        Random rnd = new Random(42);
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            long step = (r + 1) * 10L;
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("round", r);
            rec.put("step", step);
            rec.put("loss", 6.5 * Math.exp(-r / 20.0) + 2.5 + 0.05 * rnd.nextGaussian());
            rec.put("reg", layers == 0 ? 0.0 : -0.002 - 0.0001 * rnd.nextDouble());
            if (!spark) {
                rec.put("lr", 1e-3 * Math.min(1, (r + 1) / 5.0));
                rec.put("grad_norm", 0.8 + 0.1 * rnd.nextDouble());
            }
            rec.put("tokens", 10240L);
            rec.put("tokens_per_s", 9000 + 500 * rnd.nextGaussian());
            if (spark) {
                rec.put("round_s", 1.2 + 0.1 * rnd.nextDouble());
                rec.put("broadcast_s", 0.05);
                rec.put("compute_s", 1.0);
                rec.put("comm_s", 0.2);
                rec.put("rebuilds", r == 3 ? 1 : 0);
                rec.put("skipped_steps", 0);
            }
            List<Map<String, Object>> ex = new ArrayList<>();
            for (int l = 0; l < layers; l++) ex.add(layer(2 * l, experts, r, rnd));
            rec.put("experts", ex);
            if ((r + 1) % 5 == 0) rec.put("valid_loss", 6.3 * Math.exp(-r / 20.0) + 2.6);
            b.append(MetricsLog.json(rec)).append('\n');
        }
        return b.toString();
    }

    /** Loads that drift from uniform towards a skew over the rounds; the last expert dies after round 10. */
    static Map<String, Object> layer(int layer, int experts, int round, Random rnd) {
        long[] counts = new long[experts];
        double skew = Math.min(1, round / 30.0);
        long total = 0;
        for (int e = 0; e < experts; e++) {
            double w = 1 + skew * 3 * Math.exp(-e / 2.0) + 0.2 * rnd.nextDouble();
            counts[e] = e == experts - 1 && round > 10 ? 0 : Math.round(200 * w);
            total += counts[e];
        }
        double h = 0, min = 1, max = 0;
        int dead = 0;
        for (long c : counts) {
            double p = (double) c / total;
            if (p > 0) h -= p * Math.log(p);
            if (c == 0) dead++;
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", layer);
        m.put("counts", counts);
        m.put("usage_rel_perplexity", Math.exp(h) / experts);
        m.put("dead_fraction", (double) dead / experts);
        m.put("min_load", min);
        m.put("max_load", max);
        return m;
    }

    static String config(boolean moe, int experts) {
        return "# sigmoe run configuration (resolved)\n"
                + "description = " + (moe ? "\"tiny sigma-MoE <test> & co\"" : "\"tiny dense\"") + "\n"
                + "model {\n  vocab_size = 1000\n  d_model = 128\n  n_layers = 4\n  n_heads = 4\n  head_dim = 32\n"
                + "  ffn = \"" + (moe ? "sigma_moe" : "dense") + "\"\n  d_ff = " + (moe ? 0 : 512) + "\n"
                + "  n_experts = " + experts + "\n  expert_size = 32\n  top_k = 2\n  dropout = 0.0\n}\n"
                + "train {\n  steps = 300\n  batch_size = 16\n  segment_length = 64\n  lr = 0.001\n  data = \"data/moby-dick\"\n"
                + "  run_dir = \"runs/x\"\n}\n";
    }
}
