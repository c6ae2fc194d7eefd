package sigmoe.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.eval.EvalFixtures.Run;
import sigmoe.model.ModelConfig;

/** {@code sigmoe eval}: numbers equal a direct Evaluator call; defaults; one-paragraph errors with the right exit code. */
class EvalCommandTest {
    @TempDir static Path tmp;
    static Path corpus, ckpt, ckptNoMeta;

    @BeforeAll
    static void setUp() throws Exception {
        corpus = EvalFixtures.corpus(tmp);
        ckpt = EvalFixtures.checkpoint(tmp, "meta", corpus, 11, Map.of(LoadedModel.SEGMENT_KEY, "16"));
        ckptNoMeta = EvalFixtures.checkpoint(tmp, "plain", corpus, 12, Map.of());
    }

    static Run eval(String... more) {
        String[] base = {"eval", "--checkpoint", ckpt.toString(), "--data", corpus.toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return EvalFixtures.cli(all);
    }

    @Test
    void printsTheSameNumbersAsADirectEvaluatorCall() throws Exception {
        Run r = eval("--split", "valid", "--segment", "16", "--mem-segments", "2", "--batch", "3");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = r.json();
        TokenStream valid = Corpus.open(corpus.toString()).split("valid");
        LoadedModel m = LoadedModel.load(ckpt.toString(), new Configuration());
        Evaluator.Result d = Evaluator.evaluate(m.model, valid, 16, 2, 3, 0, 3, 0);
        assertEquals((3999 / 16) / 3 * 16 * 3, d.tokens(), "every target of the truncated streams");
        assertEquals(d.tokens(), j.get("tokens").asLong());
        assertEquals(d.loss(), j.get("loss").asDouble(), 1e-12);
        assertEquals(d.ppl(), j.get("ppl").asDouble(), 1e-9);
        assertEquals(d.loss() / Math.log(2), j.get("bpc").asDouble(), 1e-12);
        assertEquals("valid", j.get("split").asText());
        assertEquals(16, j.get("segment").asInt());
        assertEquals(2, j.get("mem_segments").asInt());
        assertEquals(3, j.get("batch").asInt());
        assertEquals(ckpt.toString(), j.get("checkpoint").asText());
        assertEquals(7, j.get("step").asLong());
        // an untrained model is close to uniform over the vocabulary
        int v = Corpus.open(corpus.toString()).vocabSize();
        assertEquals(Math.log(v), d.loss(), 0.5);
        assertTrue(r.out().contains("segment 83/83"), "a final progress line: " + r.out());
    }

    @Test
    void memoryChangesTheNumbersSoItIsReallyUsed() throws Exception {
        double none = eval("--split", "test", "--mem-segments", "0", "--max-segments", "20").json().get("loss").asDouble();
        double four = eval("--split", "test", "--mem-segments", "4", "--max-segments", "20").json().get("loss").asDouble();
        assertTrue(Math.abs(none - four) > 1e-6, none + " vs " + four);
    }

    @Test
    void segmentDefaultsToTheCheckpointsMetadataElse256AndMaxSegmentsLimitsEachStream() throws Exception {
        JsonNode j = eval("--split", "test", "--max-segments", "5").json();
        assertEquals(16, j.get("segment").asInt());
        assertEquals(4, j.get("batch").asInt());
        assertEquals(4, j.get("mem_segments").asInt());
        assertEquals(5L * 16 * 4, j.get("tokens").asLong());
        Run plain = EvalFixtures.cli("eval", "--checkpoint", ckptNoMeta.toString(), "--data", corpus.toString(),
                "--split", "test", "--batch", "2", "--max-segments", "1");
        assertEquals(0, plain.rc(), plain.err());
        assertEquals(256, plain.json().get("segment").asInt());
        assertEquals(512, plain.json().get("tokens").asLong());
    }

    @Test
    void usageErrorsExitTwoWithOneParagraph() {
        Run missing = EvalFixtures.cli("eval", "--data", corpus.toString(), "--split", "valid");
        assertEquals(2, missing.rc());
        missing.assertOneParagraphError();
        assertTrue(missing.err().contains("--checkpoint"), missing.err());

        Run notInt = eval("--split", "valid", "--batch", "four");
        assertEquals(2, notInt.rc());
        notInt.assertOneParagraphError();

        Run zero = eval("--split", "valid", "--batch", "0");
        assertEquals(2, zero.rc());
        zero.assertOneParagraphError();
        assertTrue(zero.err().contains("--batch must be >= 1"), zero.err());

        Run split = eval("--split", "dev");
        assertEquals(2, split.rc());
        split.assertOneParagraphError();
        assertTrue(split.err().contains("no such split") && split.err().contains("valid"), split.err());

        Run tooShort = eval("--split", "valid", "--segment", "512", "--batch", "8");
        assertEquals(2, tooShort.rc());
        tooShort.assertOneParagraphError();
        assertTrue(tooShort.err().contains("too few"), tooShort.err());

        Run master = eval("--split", "valid", "--master", "local[2]");
        assertEquals(2, master.rc());
        master.assertOneParagraphError();
        assertTrue(master.err().contains("--distributed"), master.err());
    }

    @Test
    void wrongPathsExitOneNamingThePath() {
        Run noCkpt = EvalFixtures.cli("eval", "--checkpoint", tmp.resolve("nope.safetensors").toString(),
                "--data", corpus.toString(), "--split", "valid");
        assertEquals(1, noCkpt.rc());
        noCkpt.assertOneParagraphError();
        assertTrue(noCkpt.err().contains("nope.safetensors") && noCkpt.err().contains("no such file"), noCkpt.err());

        Run notCkpt = EvalFixtures.cli("eval", "--checkpoint", corpus.resolve("manifest.json").toString(),
                "--data", corpus.toString(), "--split", "valid");
        assertEquals(1, notCkpt.rc());
        notCkpt.assertOneParagraphError();
        assertTrue(notCkpt.err().contains("manifest.json"), notCkpt.err());

        Run noData = EvalFixtures.cli("eval", "--checkpoint", ckpt.toString(), "--data", tmp.resolve("no-corpus").toString(),
                "--split", "valid");
        assertEquals(1, noData.rc());
        noData.assertOneParagraphError();
        assertTrue(noData.err().contains("no-corpus") && noData.err().contains("not a prepared corpus"), noData.err());
    }

    @Test
    void aVocabularyMismatchSaysWhichSizesDisagree() throws Exception {
        int v = Corpus.open(corpus.toString()).vocabSize();
        ModelConfig other = EvalFixtures.tiny(v + 5);
        Path foreign = EvalFixtures.checkpoint(tmp, "foreign", other, 3, Map.of());
        Run r = EvalFixtures.cli("eval", "--checkpoint", foreign.toString(), "--data", corpus.toString(), "--split", "valid");
        assertEquals(2, r.rc());
        r.assertOneParagraphError();
        assertTrue(r.err().contains("vocab_size " + (v + 5)) && r.err().contains(v + " tokens"), r.err());
    }
}
