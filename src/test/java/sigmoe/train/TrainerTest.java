package sigmoe.train;

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
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.testutil.TestCorpora;

class TrainerTest {
    @TempDir static Path tmp;
    static Path corpus;

    @BeforeAll
    static void corpus() throws Exception {
        corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 120_000, 12_000, 12_000);
    }

    static RunConfig config(String runDir, long steps, String... more) {
        List<String> o = new ArrayList<>(List.of(
                "train.data=" + corpus, "train.run_dir=" + runDir, "train.steps=" + steps, "train.batch_size=8",
                "train.segment_length=32", "train.lr=3e-3", "train.warmup=5", "train.log_interval=10",
                "train.eval_interval=0", "train.eval_batches=4", "train.checkpoint_interval=0", "train.workers=1",
                "model.d_model=32", "model.n_layers=2", "model.n_heads=2", "model.head_dim=16", "model.ffn=sigma_moe",
                "model.d_ff=null", "model.n_experts=4", "model.expert_size=16", "model.top_k=2",
                "model.entropy_reg=0.001", "model.dropout=0.1", "model.vocab_size=null"));
        o.addAll(List.of(more));
        return RunConfig.parse("", o);
    }

    static String run(RunConfig rc) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Trainer.Summary s = Trainer.run(rc, new PrintStream(buf, true, "UTF-8"));
        return s.toJson();
    }

    /** Entropy (nats) of the train split's unigram distribution: what a model without context can reach. */
    static double unigramEntropy() throws Exception {
        TokenStream t = Corpus.open(corpus.toString()).split("train");
        long[] c = new long[256];
        for (long i = 0; i < t.size(); i++) c[t.get(i)]++;
        double h = 0;
        for (long n : c) if (n > 0) { double p = (double) n / t.size(); h -= p * Math.log(p); }
        assertEquals(h, sigmoe.eval.Unigram.entropy(t, t.vocabSize()), 1e-9);
        return h;
    }

    @Test
    void sigmaMoeTrainingBeatsTheUnigramEntropyAndLogsExpertStatistics() throws Exception {
        String dir = tmp.resolve("run-learn").toString();
        JsonNode summary = new ObjectMapper().readTree(run(config(dir, 150, "train.eval_interval=150")));
        double h = unigramEntropy();
        System.out.printf("unigram entropy %.4f nats, valid loss after 150 steps %.4f%n", h, summary.get("valid_loss").asDouble());
        assertTrue(summary.get("valid_loss").asDouble() < h - 0.3, "valid " + summary + " vs unigram " + h);
        List<String> lines = Files.readAllLines(Path.of(dir, "metrics.jsonl"));
        assertEquals(15, lines.size());
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals(150, last.get("step").asLong());
        JsonNode experts = last.get("experts");
        assertEquals(2, experts.size());
        long sel = 0;
        for (JsonNode c : experts.get(0).get("counts")) sel += c.asLong();
        assertEquals(10L * 8 * 32 * 2, sel, "every token of the 10 logged steps selects K = 2 experts");
        assertTrue(Files.exists(Path.of(dir, "config.conf")));
    }

    @Test
    void aResumedRunEqualsTheUninterruptedOneBitForBit() throws Exception {
        String a = tmp.resolve("run-a").toString();
        run(config(a, 20, "train.checkpoint_interval=10"));
        Path finalA = Path.of(a, "checkpoints", "step-00000020", "model.safetensors");
        byte[] expected = Files.readAllBytes(finalA);
        // Simulate a crash after step 10: only the step-10 checkpoint survives.
        try (var s = Files.walk(finalA.getParent())) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        run(config(a, 20, "train.checkpoint_interval=10", "train.resume=true"));
        assertArrayEquals(expected, Files.readAllBytes(finalA));
        List<String> lines = Files.readAllLines(Path.of(a, "metrics.jsonl"));
        assertEquals(2, lines.size(), "metrics continue without duplicated steps: " + lines);
    }

    @Test
    void sameSeedSameRun() throws Exception {
        String a = tmp.resolve("det-a").toString(), b = tmp.resolve("det-b").toString();
        run(config(a, 10));
        run(config(b, 10));
        assertArrayEquals(Files.readAllBytes(Path.of(a, "checkpoints", "step-00000010", "model.safetensors")),
                Files.readAllBytes(Path.of(b, "checkpoints", "step-00000010", "model.safetensors")));
    }
}
