package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.model.Checkpoint;
import sigmoe.model.TransformerXL;
import sigmoe.nn.Param;
import sigmoe.testutil.TestCorpora;
import sigmoe.train.ExpertReport;
import sigmoe.train.LrSchedule;
import sigmoe.train.Replica;
import sigmoe.train.SegmentStreams;
import sigmoe.train.Trainer;

/**
 * Injected NaN/Inf in a gradient or a layer's output ({@link Replica.FaultHook}, {@link TransformerXL.Probe}): the step
 * is not applied, the message names where the value first appeared, the XL memory does not keep it, and the trainers
 * follow the policy (skip; stop after {@link Trainer#MAX_SKIPPED_STEPS} in a row with a non-zero exit and the last good
 * checkpoint intact). In the Spark trainer a slice's skip leaves the averaged parameters finite.
 */
class NumericalFaultTest {
    @TempDir static Path tmp;
    static Path corpus;
    static final int B = 8, T = 32;

    @BeforeAll
    static void data() throws Exception {
        corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 30_000, 4_000, 4_000);
    }

    @AfterEach
    void noHook() { Replica.setFaultHook(null); }

    static Replica replica(TransformerXL model, RunConfig rc) throws Exception {
        TokenStream train = Corpus.open(corpus.toString()).split("train");
        return new Replica(model, Trainer.adam(model, rc.train()), new SegmentStreams(train, T, B, 0, B), T, 7);
    }

    static TransformerXL model(RunConfig rc) throws Exception {
        TransformerXL m = new TransformerXL(rc.modelFor(Corpus.open(corpus.toString()).vocabSize()), DataType.FLOAT);
        m.initialise(1);
        return m;
    }

    static float[] floats(org.nd4j.linalg.api.ndarray.INDArray a) { return a.dup().data().asFloat(); }

    static void poisonGrad(Replica r, String name, double v) { r.model.params.get(name).grad().putScalar(0, v); }

    @Test
    void aNonFiniteGradientSkipsTheStepAndNamesTheFirstParameterInLayerOrder() throws Exception {
        RunConfig rc = Fixtures.config(corpus, tmp.resolve("unused"));
        Replica r = replica(model(rc), rc);
        LrSchedule s = LrSchedule.of(rc.train());
        for (int i = 0; i < 2; i++) assertTrue(r.step(s, 0.25).applied());
        float[] params = floats(r.model.params.values()), m = floats(r.adam.m()), v = floats(r.adam.v());
        long adamStep = r.adam.step();
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override public void afterBackward(Replica x, long step) {
                if (step != 2) return;
                poisonGrad(x, "layers.1.ffn.keys", Double.NaN);
                poisonGrad(x, "layers.0.ffn.values", Double.POSITIVE_INFINITY); // registered first in its layer...
                poisonGrad(x, "layers.0.attn.q.weight", Double.NaN);            // ...but the attention comes first
            }
        });
        Replica.StepResult res = r.step(s, 0.25);
        assertFalse(res.applied());
        assertTrue(res.fault().startsWith("non-finite gradient") && res.fault().endsWith("first in layers.0.attn.q.weight"), res.fault());
        System.out.println("  gradient fault: " + res.fault());
        assertArrayEquals(params, floats(r.model.params.values()), "parameters unchanged");
        assertArrayEquals(m, floats(r.adam.m()), "Adam moments unchanged");
        assertArrayEquals(v, floats(r.adam.v()));
        assertEquals(adamStep, r.adam.step(), "Adam's step (bias correction) unchanged");
        assertEquals(3, r.step(), "the batch is consumed: every slice stays on the same batch index");
        assertEquals(1, r.consecutiveSkips());
        Replica.StepResult next = r.step(s, 0.25);
        assertTrue(next.applied() && Double.isFinite(next.ceSum()));
        assertEquals(0, r.consecutiveSkips());
    }

    @Test
    void aNonFiniteLossSkipsTheStepNamesTheLayerAndKeepsItOutOfTheMemory() throws Exception {
        RunConfig rc = Fixtures.config(corpus, tmp.resolve("unused"));
        Replica r = replica(model(rc), rc);
        LrSchedule s = LrSchedule.of(rc.train());
        for (int i = 0; i < 3; i++) assertTrue(r.step(s, 0.25).applied());
        float[] params = floats(r.model.params.values());
        TransformerXL.Memory mem = r.model.saveMemory();
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override public void beforeForward(Replica x, long step) {
                x.model.setProbe(step != 3 ? null : (layer, out) -> { if (layer.equals("layers.0")) out.putScalar(5, Float.NaN); });
            }
        });
        Replica.StepResult res = r.step(s, 0.25);
        assertFalse(res.applied());
        assertTrue(res.fault().contains("non-finite loss") && res.fault().endsWith("first non-finite output in layers.0"), res.fault());
        System.out.println("  loss fault: " + res.fault());
        assertArrayEquals(params, floats(r.model.params.values()));
        TransformerXL.Memory after = r.model.saveMemory();
        assertEquals(mem.length(), after.length());
        for (int l = 0; l < 2; l++) assertArrayEquals(floats(mem.layers()[l]), floats(after.layers()[l]), "memory of layer " + l + " rolled back");
        Replica.StepResult next = r.step(s, 0.25);
        assertTrue(next.applied() && Double.isFinite(next.ceSum()), "the next step is clean: no NaN left in the memory");
    }

    @Test
    void theDiagnosticForwardNamesTheSubLayerOfAPoisonedParameter() throws Exception {
        RunConfig rc = Fixtures.config(corpus, tmp.resolve("unused"));
        TransformerXL model = model(rc);
        TokenStream train = Corpus.open(corpus.toString()).split("train");
        SegmentStreams st = new SegmentStreams(train, T, B, 0, B);
        int[] in = new int[B * T], tg = new int[B * T];
        st.batch(0, in, tg);
        model.forward(in, tg, B, T, T, false, null); // a memory of one segment, as in training
        st.batch(1, in, tg);
        ExpertReport.collect(model, true);
        ExpertReport.clear(model);
        assertNull(model.firstNonFinite(in, tg, B, T), "a healthy model is finite everywhere");
        assertEquals(0, java.util.Arrays.stream(ExpertReport.flatten(model)).sum(), "the diagnostic counts no expert selections");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("embedding.weight", "embedding");
        cases.put("layers.0.norm1.weight", "layers.0.norm1");
        cases.put("layers.1.attn.v.weight", "layers.1.attn");
        cases.put("layers.0.norm2.bias", "layers.0.norm2");
        cases.put("layers.1.ffn.expert_sel", "layers.1.ffn");
        cases.put("final_norm.weight", "final_norm");
        cases.put("output.bias", "output");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Param p = model.params.get(c.getKey());
            float[] keep = floats(p.value());
            p.value().assign(Double.NaN);
            assertEquals(c.getValue(), model.firstNonFinite(in, tg, B, T), "NaN in " + c.getKey());
            p.value().assign(org.nd4j.linalg.factory.Nd4j.createFromArray(keep).reshape(p.shape));
        }
        assertNull(model.firstNonFinite(in, tg, B, T));
        assertEquals(T, model.memoryLength(), "the diagnostic never advances the memory");
    }

    @Test
    void theSingleProcessTrainerStopsAfterTooManySkipsWithTheLastGoodCheckpointIntact() throws Exception {
        Path run = tmp.resolve("policy");
        Path conf = Fixtures.confFile(tmp.resolve("policy.conf"), corpus, run, "steps = 20", "checkpoint_interval = 4");
        Path step4 = Fixtures.checkpoint(run, 4).resolve("model.safetensors");
        byte[][] step4Bytes = new byte[1][];
        float[][] paramsBefore = new float[1][];
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override public void beforeForward(Replica r, long step) {
                if (step != 5) return;
                try { step4Bytes[0] = Files.readAllBytes(step4); } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
                paramsBefore[0] = floats(r.model.params.values());
            }

            @Override public void afterBackward(Replica r, long step) {
                if (step >= 5) poisonGrad(r, "layers.1.norm1.bias", Double.NaN); // from step 6 on, for good
            }
        });
        Fixtures.Run res = Fixtures.cli("train", conf.toString(), "--single-process");
        String m = Fixtures.assertCleanError(res, 1, "training stopped at step 11 after 6 consecutive non-finite steps",
                "non-finite gradient", "first in layers.1.norm1.bias", "is intact", run.toString());
        System.out.println("  policy (single process): " + m);
        for (int s = 6; s <= 11; s++) assertTrue(res.out().contains("step " + s + "/20 skipped"), res.out());
        assertArrayEquals(step4Bytes[0], Files.readAllBytes(step4), "the last good checkpoint is intact");
        // step 8 was checkpointed during the skips: its parameters are those from before the first skipped step
        Checkpoint c8 = Checkpoint.load(Fixtures.checkpoint(run, 8).resolve("model.safetensors").toString());
        TransformerXL probe = model(Fixtures.config(corpus, run));
        c8.loadInto(probe.params);
        assertArrayEquals(paramsBefore[0], floats(probe.params.values()), "skipped steps changed no parameter");
        assertFalse(Files.exists(Fixtures.checkpoint(run, 12)), "nothing checkpointed after the stop");
        assertEquals(List.of(), Fixtures.temporaries(run));
        JsonNode line7 = Fixtures.metrics(run).get(6);
        assertEquals(7, line7.get("step").asLong());
        assertEquals(1, line7.get("skipped_steps").asLong());
        assertTrue(line7.get("loss").isNull() && line7.get("fault").asText().contains("layers.1.norm1.bias"), line7.toString());
    }

    @Test
    void aTransientLossFaultIsSkippedAndTheRunCompletes() throws Exception {
        Path run = tmp.resolve("transient");
        Path conf = Fixtures.confFile(tmp.resolve("transient.conf"), corpus, run, "steps = 8");
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override public void beforeForward(Replica r, long step) {
                r.model.setProbe(step != 3 ? null : (layer, out) -> { if (layer.equals("layers.1")) out.putScalar(0, Float.POSITIVE_INFINITY); });
            }
        });
        Fixtures.Run res = Fixtures.cli("train", conf.toString(), "--single-process");
        assertEquals(0, res.rc(), res.err());
        List<JsonNode> m = Fixtures.metrics(run);
        long tokens = 0;
        for (JsonNode l : m) tokens += l.get("tokens").asLong();
        assertEquals(7L * B * T, tokens, "the skipped step's tokens are not counted");
        assertEquals(1, m.get(3).get("skipped_steps").asLong());
        assertTrue(m.get(3).get("fault").asText().contains("first non-finite output in layers.1"), m.get(3).toString());
        assertTrue(Double.isFinite(m.get(7).get("loss").asDouble()));
    }

    /** Poisons a gradient in one Spark slice (partition) from {@code from} to {@code to} (step indices). */
    static Replica.FaultHook sliceGradient(int slice, long from, long to) {
        return new Replica.FaultHook() {
            @Override public void afterBackward(Replica r, long step) {
                TaskContext tc = TaskContext.get();
                if (tc != null && tc.partitionId() == slice && step >= from && step <= to) poisonGrad(r, "layers.0.attn.k.weight", Double.NaN);
            }
        };
    }

    @Test
    void aSlicesSkipInSparkLeavesTheAveragedParametersFinite() throws Exception {
        Path run = tmp.resolve("spark-transient");
        Path conf = Fixtures.confFile(tmp.resolve("spark-transient.conf"), corpus, run, "steps = 9", "averaging_frequency = 3",
                "entropy_reg_mode = local");
        Replica.setFaultHook(sliceGradient(1, 4, 4));
        Fixtures.Run res = Fixtures.cli("train", conf.toString(), "--master", "local[2]");
        assertEquals(0, res.rc(), res.err());
        List<JsonNode> m = Fixtures.metrics(run);
        assertEquals(List.of(0L, 1L, 0L), m.stream().map(l -> l.get("skipped_steps").asLong()).toList());
        assertEquals("slice 1, step 5: non-finite gradient (norm NaN): first in layers.0.attn.k.weight", m.get(1).get("fault").asText());
        assertEquals((2L * 3 - 1) * (B / 2) * T, m.get(1).get("tokens").asLong(), "the skipped slice step's tokens are not counted");
        assertTrue(res.out().contains("round 1: 1 slice steps skipped"), res.out());
        Checkpoint c = Checkpoint.load(Fixtures.checkpoint(run, 9).resolve("model.safetensors").toString());
        for (String n : c.names()) for (float x : c.tensor(n)) assertTrue(Float.isFinite(x), n);
        assertTrue(Double.isFinite(m.get(2).get("loss").asDouble()));
    }

    @Test
    void aNonFiniteOutputInOneSliceSkipsOnlyThatSliceUnderTheGlobalRegulariserWithoutDeadlock() throws Exception {
        Path run = tmp.resolve("spark-global");
        Path conf = Fixtures.confFile(tmp.resolve("spark-global.conf"), corpus, run, "steps = 6", "averaging_frequency = 3",
                "entropy_reg_mode = global");
        Replica.setFaultHook(new Replica.FaultHook() {
            @Override public void beforeForward(Replica r, long step) {
                boolean hit = step == 4 && TaskContext.get() != null && TaskContext.get().partitionId() == 1;
                r.model.setProbe(!hit ? null : (layer, out) -> { if (layer.equals("layers.0")) out.putScalar(0, Float.NaN); });
            }
        });
        Fixtures.Run res = Fixtures.cli("train", conf.toString(), "--master", "local[2]");
        assertEquals(0, res.rc(), res.err());
        JsonNode r1 = Fixtures.metrics(run).get(1);
        // slice 1's NaN selection sums stay out of the all-reduce: slice 0 trains on, only slice 1 skips, neither hangs
        assertEquals(1, r1.get("skipped_steps").asLong(), r1.toString());
        assertTrue(r1.get("fault").asText().startsWith("slice 1, step 5: non-finite"), r1.toString());
        System.out.println("  global regulariser: " + r1.get("fault").asText());
        Checkpoint c = Checkpoint.load(Fixtures.checkpoint(run, 6).resolve("model.safetensors").toString());
        for (String n : c.names()) for (float x : c.tensor(n)) assertTrue(Float.isFinite(x), n);
    }

    @Test
    void theSparkTrainerStopsAfterTooManySkipsAndLeavesNoPartialCheckpoint() throws Exception {
        Path run = tmp.resolve("spark-policy");
        Path conf = Fixtures.confFile(tmp.resolve("spark-policy.conf"), corpus, run, "steps = 30", "averaging_frequency = 3",
                "checkpoint_interval = 3", "entropy_reg_mode = local");
        Replica.setFaultHook(sliceGradient(0, 4, Long.MAX_VALUE));
        Fixtures.Run res = Fixtures.cli("train", conf.toString(), "--master", "local[2]");
        String m = Fixtures.assertCleanError(res, 1, "training stopped at step 12 after 8 consecutive non-finite steps",
                "slice 0", "first in layers.0.attn.k.weight", "is intact");
        System.out.println("  policy (Spark): " + m);
        for (long s : new long[] {3, 6, 9}) assertTrue(Files.exists(Fixtures.checkpoint(run, s).resolve("model.safetensors")));
        assertFalse(Files.exists(Fixtures.checkpoint(run, 12)));
        assertEquals(List.of(), Fixtures.temporaries(run), "the stopped round's temporary checkpoint is removed");
        List<JsonNode> lines = Fixtures.metrics(run);
        assertEquals(3, lines.size(), "no metrics line for the stopped round");
        assertEquals(List.of(0L, 2L, 3L), lines.stream().map(l -> l.get("skipped_steps").asLong()).toList());
    }
}
