package sigmoe.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.model.FfnKind;
import sigmoe.model.ModelConfig;
import sigmoe.train.TrainConfig;

class RunConfigTest {
    @TempDir Path dir;

    private static String error(Runnable r) {
        String m = assertThrows(ConfigException.class, r::run).getMessage();
        assertFalse(m.contains("\n"), "one paragraph: " + m);
        return m;
    }

    private static void contains(String m, String... parts) {
        for (String p : parts) assertTrue(m.contains(p), "'" + p + "' in: " + m);
    }

    @Test
    void defaultsAreThePapersWtsMoeAndAppendixB() {
        RunConfig c = RunConfig.parse("", List.of("train.data=data/x"));
        assertEquals(ModelConfig.sigmaMoe(0, 412, 16, 10, 41, 16, 128, 4, 0.1, 0, 0.001), c.model());
        assertTrue(c.vocabFromData());
        TrainConfig t = c.train();
        assertEquals(64, t.batchSize());
        assertEquals(256, t.segmentLength());
        assertEquals(100_000, t.steps());
        assertEquals(2.5e-4, t.lr());
        assertEquals(TrainConfig.LrSchedule.COSINE, t.lrSchedule());
        assertEquals(0.25, t.gradClip());
        assertEquals(4, t.evalMemSegments());
        assertEquals(4, t.evalBatch());
        assertEquals(1, t.memSegments());
        assertEquals(TrainConfig.EntropyRegMode.GLOBAL, t.entropyRegMode());
        assertEquals(0.9, t.adamBeta1());
        assertEquals(0.999, t.adamBeta2());
        assertEquals(1e-8, t.adamEps());
        assertEquals("data/x", t.data());
    }

    @Test
    void overridesUseDottedKeysAndKeepStringsVerbatim() {
        RunConfig c = RunConfig.load(List.of("tiny-moe"), List.of("model.top_k=1", "train.data=hdfs://nn:8020/corpora/moby # not a comment",
                "train.master=\"local[1]\"", "model.vocab_size=300", "train.lr=3e-3", "train.resume=no", "train.steps=1e3"));
        assertEquals(1, c.model().topK());
        assertEquals(300, c.model().vocabSize());
        assertEquals("hdfs://nn:8020/corpora/moby # not a comment", c.train().data());
        assertEquals("local[1]", c.train().master());
        assertEquals(3e-3, c.train().lr());
        assertFalse(c.train().resume());
        assertEquals(1000, c.train().steps());
        assertEquals(8, c.model().nExperts(), "the rest comes from the file");
        RunConfig v = RunConfig.load(List.of("wt-s-47m-moe"), List.of("model.vocab_size=null"));
        assertTrue(v.vocabFromData());
    }

    @Test
    void laterFilesWinAndIncludesAreRelative() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/base.conf"), "model { d_model = 64, n_heads = 2, head_dim = 32 }\ntrain { data = base, steps = 10 }\n");
        Files.writeString(dir.resolve("run.conf"), "include required(\"sub/base.conf\")\nmodel { n_layers = 3 }\ntrain { steps = ${train.warmup}0 }\n");
        Files.writeString(dir.resolve("late.conf"), "train { data = late }\n");
        RunConfig c = RunConfig.load(List.of(dir.resolve("run.conf").toString(), dir.resolve("late.conf").toString()), List.of("train.warmup=2"));
        assertEquals(64, c.model().dModel());
        assertEquals(3, c.model().nLayers());
        assertEquals("late", c.train().data());
        assertEquals(20, c.train().steps(), "substitution sees the override");
    }

    @Test
    void unknownKeysSuggestTheClosest() {
        contains(error(() -> RunConfig.parse("model { topk = 2 }", List.of("train.data=x"))),
                "unknown key 'model.topk'", "configuration text", "did you mean 'model.top_k'?", "Valid keys of 'model': vocab_size, d_model");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.lr=1"))), "unknown key 'model.lr'", "command line", "did you mean 'train.lr'?");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("trian.steps=1"))), "unknown key 'trian'", "did you mean 'train'?",
                "Valid keys at the top level: description, model, train");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("train.zzzzzz=1"))), "unknown key 'train.zzzzzz'", "Valid keys of 'train': seed,");
        contains(error(() -> RunConfig.parse("model = 3", List.of())), "'model' must be a section");
    }

    @Test
    void wrongTypesNameKeyValueAndOrigin() {
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.top_k=four"))),
                "model.top_k = 'four' (command line) is not a whole number");
        contains(error(() -> RunConfig.parse("model { dropout = [1] }", List.of("train.data=x"))),
                "model.dropout = [1]", "configuration text: 1", "is not a number");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("train.resume=maybe"))), "train.resume = 'maybe'", "true or false");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.n_layers=2.5"))), "model.n_layers = '2.5'", "whole number");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.d_model=3000000000"))), "int range");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("train.lr_schedule=cosin"))),
                "train.lr_schedule = 'cosin'", "did you mean 'cosine'?", "Valid values: cosine, constant");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.ffn=moe"))), "Valid values: dense, sigma_moe");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("model.d_model=null"))), "model.d_model is not set");
    }

    @Test
    void rangesAreCheckedAndAllProblemsReported() {
        String m = error(() -> RunConfig.load(List.of("wt-s-47m-moe"), List.of("model.top_k=17", "train.lr=-1", "train.workers=3", "model.dropout=1")));
        contains(m, "model.top_k must be in [1, n_experts=16] (got 17)", "train.lr must be a finite number > 0 (got -1.0)",
                "train.batch_size (64 streams) must be divisible by workers (3)", "model.dropout must be in [0, 1) (got 1.0)");
        contains(error(() -> RunConfig.load(List.of("wt-s-47m-dense"), List.of("model.ffn=sigma_moe"))),
                "model.d_ff must equal n_experts * expert_size = 2048 for sigma_moe (got 2053)", "model.d_ff=null");
        contains(error(() -> RunConfig.load(List.of("tiny-dense"), List.of("model.d_ff=null"))), "model.d_ff is not set", "dense FFN");
        contains(error(() -> RunConfig.parse("", List.of())), "train.data is not set");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("train.steps=300", "train.warmup=301"))), "train.warmup must be in [0, steps=300] (got 301)");
    }

    @Test
    void denseIgnoresTheMoeKeys() {
        RunConfig c = RunConfig.load(List.of("wt-s-47m-dense"), List.of("model.n_experts=99", "model.top_k=200"));
        assertEquals(FfnKind.DENSE, c.model().ffn());
        assertEquals(ModelConfig.dense(8000, 412, 16, 10, 41, 2053, 0.1), c.model());
    }

    @Test
    void rendersBackToHoconAndJson() {
        for (String f : List.of("tiny-moe", "wt-b-262m-dense", "e8-41m-moe")) {
            RunConfig c = RunConfig.load(List.of(f), List.of("train.data=s3a://bucket/x y", "description=\"quote \\\" and ${x}\""));
            String hocon = c.toHocon();
            assertEquals(c, RunConfig.parse(hocon, List.of()), hocon);
            assertEquals(c, RunConfig.parseJson(c.toJson()));
            assertTrue(c.toJson().contains("\"top_k\""));
        }
        RunConfig v = RunConfig.load("tiny-moe");
        assertTrue(v.toHocon().contains("\n  vocab_size = null\n"), v.toHocon());
        assertTrue(v.toJson().contains("\"vocab_size\" : null"), v.toJson());
        assertEquals(v, RunConfig.parse(v.toHocon(), List.of()));
    }

    @Test
    void vocabularyFromTheCorpus() {
        RunConfig tiny = RunConfig.load("tiny-moe");
        assertEquals(97, tiny.modelFor(97).vocabSize());
        RunConfig wt = RunConfig.load("wt-s-47m-moe");
        assertEquals(8000, wt.modelFor(8000).vocabSize());
        contains(error(() -> wt.modelFor(267_735)), "model.vocab_size = 8000", "267735", "model.vocab_size=null");
    }

    @Test
    void missingFilesAndBadSyntax() throws IOException {
        contains(error(() -> RunConfig.load("no-such-run")), "'no-such-run' not found", "conf/no-such-run.conf", "tiny-moe.conf");
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "model { d_model = \n");
        contains(error(() -> RunConfig.load(bad.toString())), "cannot read configuration", "bad.conf");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("steps"))), "override 'steps' is not key=value");
        contains(error(() -> RunConfig.load(List.of("tiny-moe"), List.of("train..steps=1"))), "is not a dotted key");
        contains(error(() -> RunConfig.parse("train { steps = ${nope} }", List.of("train.data=x"))), "cannot resolve", "nope");
    }
}
