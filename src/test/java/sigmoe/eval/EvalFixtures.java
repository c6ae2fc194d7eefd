package sigmoe.eval;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.cli.Main;
import sigmoe.data.Corpus;
import sigmoe.model.Checkpoint;
import sigmoe.model.ModelConfig;
import sigmoe.model.TransformerXL;
import sigmoe.testutil.TestCorpora;

/** A small byte-level Moby-Dick corpus and untrained σ-MoE checkpoints for it, plus a CLI runner (eval and generate tests). */
public final class EvalFixtures {
    private EvalFixtures() {}

    /** Byte corpus: 20,000 / 4,000 / 4,000 tokens. */
    public static Path corpus(Path dir) throws Exception {
        return TestCorpora.byteCorpus(dir.resolve("corpus"), 20_000, 4_000, 4_000);
    }

    /** A tiny σ-MoE configuration (2 layers, d 16, 4 experts of 8, K = 2) for the given vocabulary. */
    public static ModelConfig tiny(int vocab) {
        return ModelConfig.sigmaMoe(vocab, 16, 2, 2, 8, 4, 8, 2, 0, 0, 0);
    }

    /** Initialises a model for the corpus and saves it; {@code meta} goes into the checkpoint's metadata. */
    public static Path checkpoint(Path dir, String name, Path corpus, long seed, Map<String, String> meta) throws Exception {
        int v = Corpus.open(corpus.toString()).vocabSize();
        return checkpoint(dir, name, tiny(v), seed, meta);
    }

    public static Path checkpoint(Path dir, String name, ModelConfig cfg, long seed, Map<String, String> meta) throws Exception {
        TransformerXL m = new TransformerXL(cfg, DataType.FLOAT);
        m.initialise(seed);
        Path file = dir.resolve(name + ".safetensors");
        Checkpoint.save(m.params, cfg, 7, meta, file.toString());
        return file;
    }

    /** Result of one CLI call. */
    public record Run(int rc, String out, String err) {
        public String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }

        public JsonNode json() throws Exception {
            return new ObjectMapper().readTree(lastLine());
        }

        /** A CLI error is one paragraph on stderr with no stack trace. */
        public void assertOneParagraphError() {
            assertFalse(err.isBlank(), "no error message");
            assertFalse(err.strip().contains("\n\n"), "more than one paragraph: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "stack trace or exception name: " + err);
        }
    }

    public static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(rc, out.toString(), err.toString());
    }
}
