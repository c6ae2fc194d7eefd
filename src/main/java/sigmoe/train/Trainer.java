package sigmoe.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.eval.Evaluator;
import sigmoe.model.Checkpoint;
import sigmoe.model.ModelConfig;
import sigmoe.model.TransformerXL;

/**
 * The single-process trainer: one {@link Replica} over all B streams. It is the specification of the Spark trainer
 * (which with one slice gives the same parameters). Read top to bottom: corpus → model → (resume) → steps with
 * progress lines, metrics.jsonl, periodic validation and checkpoints → final evaluation.
 */
public final class Trainer {
    /** Consecutive non-finite steps tolerated (each skipped, parameters untouched) before the run stops. */
    public static final int MAX_SKIPPED_STEPS = 5;

    private Trainer() {}

    public static Summary run(RunConfig rc, PrintStream out) throws IOException {
        TrainConfig t = rc.train();
        Corpus corpus = Corpus.open(t.data());
        ModelConfig mc = rc.modelFor(corpus.vocabSize());
        RunConfig resolved = new RunConfig(rc.description(), mc, t);
        RunDirectory dir = new RunDirectory(t.runDir());
        dir.writeAtomically("config.conf", resolved.toHocon().getBytes(StandardCharsets.UTF_8));
        TokenStream train = corpus.split("train"), valid = corpus.split("valid");

        TransformerXL model = new TransformerXL(mc, DataType.FLOAT);
        model.initialise(t.seed());
        Replica rep = new Replica(model, adam(model, t), new SegmentStreams(train, t.segmentLength(), t.batchSize(), 0, t.batchSize()),
                t.memLength(), replicaSeed(t.seed(), 0));
        long resumedAt = t.resume() ? resume(dir, rep, out) : -1;
        MetricsLog metrics = new MetricsLog(dir, resumedAt);
        LrSchedule schedule = LrSchedule.of(t);
        ExpertReport.collect(model, true);
        ExpertReport.clear(model);

        out.printf("training %s: %,d parameters, %d streams x %d tokens, %,d steps, run dir %s%n", mc.ffn().id,
                model.params.size(), t.batchSize(), t.segmentLength(), t.steps(), dir.uri());
        Progress progress = new Progress(rep.step(), t.steps());
        double windowCe = 0, lastTrain = Double.NaN, lastValid = Double.NaN;
        long windowTokens = 0, windowStart = System.nanoTime(), round = 0;
        int skipped = 0;
        while (rep.step() < t.steps()) {
            Replica.StepResult r = rep.step(schedule, t.gradClip());
            if (!r.applied()) {
                skipped++;
                out.printf("step %d skipped: non-finite %s (loss %s, gradient norm %s); parameters unchanged%n", r.step(),
                        Double.isFinite(r.ceSum()) ? "gradient" : "loss", r.ceSum(), r.gradNorm());
                if (skipped > MAX_SKIPPED_STEPS)
                    throw new NumericalFault("training stopped at step " + r.step() + " after " + skipped
                            + " consecutive non-finite steps; the last complete checkpoint in " + dir.uri()
                            + " is intact: lower train.lr or raise train.grad_clip and resume with --resume");
                continue;
            }
            skipped = 0;
            windowCe += r.ceSum();
            windowTokens += r.tokens();
            long step = rep.step();
            boolean last = step == t.steps();
            if (step % t.logInterval() == 0 || last) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                lastTrain = windowCe / Math.max(1, windowTokens);
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("round", round++);
                rec.put("step", step);
                rec.put("loss", lastTrain);
                rec.put("reg", r.reg());
                rec.put("lr", r.lr());
                rec.put("grad_norm", r.gradNorm());
                rec.put("tokens", windowTokens);
                rec.put("tokens_per_s", windowTokens / Math.max(1e-9, secs));
                rec.put("experts", ExpertReport.summarise(model, ExpertReport.flatten(model)));
                String extra = "";
                if (t.evalInterval() > 0 && (step % t.evalInterval() == 0 || last)) {
                    lastValid = validate(model, valid, t);
                    rec.put("valid_loss", lastValid);
                    extra = String.format("valid %.4f", lastValid);
                }
                metrics.append(rec);
                out.println(progress.line(step, lastTrain, windowTokens / Math.max(1e-9, secs), r.lr(), extra));
                ExpertReport.clear(model);
                windowCe = 0;
                windowTokens = 0;
                windowStart = System.nanoTime();
            }
            if (last || (t.checkpointInterval() > 0 && step % t.checkpointInterval() == 0)) checkpoint(dir, rep, mc, step);
        }
        if (Double.isNaN(lastValid)) lastValid = validate(model, valid, t);
        String ckpt = dir.checkpointDir(rep.step()) + "/model.safetensors";
        return new Summary(dir.uri(), rep.step(), lastTrain, lastValid, ckpt);
    }

    /** Periodic validation (paper.md §6: memory of one segment, batch = training batch), memory saved and restored. */
    static double validate(TransformerXL model, TokenStream valid, TrainConfig t) {
        TransformerXL.Memory saved = model.saveMemory();
        int batch = Math.max(1, Math.min(t.batchSize(), (int) ((valid.size() - 1) / t.segmentLength())));
        Evaluator.Result r = Evaluator.evaluate(model, valid, t.segmentLength(), 1, batch, 0, batch, t.evalBatches());
        model.restoreMemory(saved);
        return r.loss();
    }

    static void checkpoint(RunDirectory dir, Replica rep, ModelConfig mc, long step) throws IOException {
        String tmp = dir.beginCheckpoint(step);
        Checkpoint.save(rep.model.params, mc, step, checkpointMetadata(rep.streams.segmentLength(), 1), tmp + "/model.safetensors");
        ReplicaState.write(rep, tmp + "/state-slice-0.safetensors", true);
        dir.commitCheckpoint(step);
        dir.pruneCheckpoints(3);
    }

    /** Extra model-file metadata: the training segment length (eval and generate default to it) and the slices. */
    public static Map<String, String> checkpointMetadata(int segmentLength, int slices) {
        return Map.of("segment_length", Integer.toString(segmentLength), "slices", Integer.toString(slices));
    }

    /** Loads the newest complete checkpoint, if any; returns its step or -1. */
    static long resume(RunDirectory dir, Replica rep, PrintStream out) throws IOException {
        List<Long> steps = dir.checkpointSteps();
        if (steps.isEmpty()) {
            out.println("no checkpoint in " + dir.uri() + ": starting from step 0");
            return -1;
        }
        long step = steps.get(steps.size() - 1);
        String d = dir.checkpointDir(step);
        Checkpoint.load(d + "/model.safetensors").loadInto(rep.model.params);
        ReplicaState.read(rep, d + "/state-slice-0.safetensors");
        out.println("resumed from " + d + " at step " + rep.step());
        return step;
    }

    public static Adam adam(TransformerXL model, TrainConfig t) {
        return new Adam(model.params, t.adamBeta1(), t.adamBeta2(), t.adamEps());
    }

    /** The seed of slice w's dropout stream (distinct per slice, fixed per run). */
    public static long replicaSeed(long seed, int slice) { return seed * 0x9E3779B97F4A7C15L + 1 + slice; }

    /** The run's outcome; {@link #toJson()} is the command's last output line. */
    public record Summary(String runDir, long step, double trainLoss, double validLoss, String checkpoint) {
        public String toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run_dir", runDir);
            m.put("step", step);
            m.put("train_loss", trainLoss);
            m.put("valid_loss", validLoss);
            m.put("checkpoint", checkpoint);
            return MetricsLog.json(m);
        }
    }

    /** A run stopped by repeated non-finite losses or gradients. */
    public static final class NumericalFault extends RuntimeException {
        public NumericalFault(String message) { super(message); }
    }
}
