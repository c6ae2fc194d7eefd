package sigmoe.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.ConfigException;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.CorpusFormatException;
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
        checkFits(mc, t, t.batchSize(), true);
        TokenStream train = corpus.split("train"), valid = corpus.split("valid");
        checkSplits(corpus, train, valid, t);
        RunConfig resolved = new RunConfig(rc.description(), mc, t);
        RunDirectory dir = runDirectory(t);

        TransformerXL model = new TransformerXL(mc, DataType.FLOAT);
        model.initialise(t.seed());
        Replica rep = new Replica(model, adam(model, t), new SegmentStreams(train, t.segmentLength(), t.batchSize(), 0, t.batchSize()),
                t.memLength(), replicaSeed(t.seed(), 0));
        long resumedAt = t.resume() ? resume(dir, rep, out) : -1;
        // Corpus, configuration and checkpoint are all checked: only now is anything in the run directory replaced.
        dir.writeAtomically("config.conf", resolved.toHocon().getBytes(StandardCharsets.UTF_8));
        MetricsLog metrics = new MetricsLog(dir, resumedAt);
        LrSchedule schedule = LrSchedule.of(t);
        ExpertReport.collect(model, true);
        ExpertReport.clear(model);

        out.printf("training %s: %,d parameters, %d streams x %d tokens, %,d steps, run dir %s%n", mc.ffn().id,
                model.params.size(), t.batchSize(), t.segmentLength(), t.steps(), dir.uri());
        Progress progress = new Progress(rep.step(), t.steps());
        double windowCe = 0, lastTrain = Double.NaN, lastValid = Double.NaN;
        long windowTokens = 0, windowStart = System.nanoTime(), round = 0, windowSkipped = 0;
        int skipped = 0;
        String lastFault = null;
        while (rep.step() < t.steps()) {
            Replica.StepResult r = rep.step(schedule, t.gradClip());
            long step = rep.step();
            if (!r.applied()) {
                skipped++;
                windowSkipped++;
                lastFault = r.fault();
                out.printf("step %d/%d skipped (%d in a row): %s; parameters unchanged%n", step, t.steps(), skipped, r.fault());
                if (skipped > MAX_SKIPPED_STEPS) throw stopped(step, skipped, r.fault(), dir);
            } else {
                skipped = 0;
                windowCe += r.ceSum();
                windowTokens += r.tokens();
            }
            boolean last = step == t.steps();
            if (step % t.logInterval() == 0 || last) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                lastTrain = windowTokens > 0 ? windowCe / windowTokens : Double.NaN;
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("round", round++);
                rec.put("step", step);
                rec.put("loss", finiteOrNull(lastTrain));
                rec.put("reg", finiteOrNull(r.reg()));
                rec.put("lr", r.lr());
                rec.put("grad_norm", finiteOrNull(r.gradNorm()));
                rec.put("tokens", windowTokens);
                rec.put("tokens_per_s", windowTokens / Math.max(1e-9, secs));
                rec.put("skipped_steps", windowSkipped);
                if (windowSkipped > 0) rec.put("fault", lastFault);
                rec.put("experts", ExpertReport.summarise(model, ExpertReport.flatten(model)));
                String extra = windowSkipped > 0 ? windowSkipped + " steps skipped" : "";
                if (t.evalInterval() > 0 && (step % t.evalInterval() == 0 || last)) {
                    lastValid = validate(model, valid, t);
                    rec.put("valid_loss", lastValid);
                    extra = (extra.isEmpty() ? "" : extra + " | ") + String.format("valid %.4f", lastValid);
                }
                metrics.append(rec);
                out.println(progress.line(step, lastTrain, windowTokens / Math.max(1e-9, secs), r.lr(), extra));
                ExpertReport.clear(model);
                windowCe = 0;
                windowTokens = 0;
                windowSkipped = 0;
                windowStart = System.nanoTime();
            }
            // A checkpoint is due even when this step was skipped: the parameters are those of the last applied step.
            if (last || (t.checkpointInterval() > 0 && step % t.checkpointInterval() == 0)) checkpoint(dir, rep, mc, step);
        }
        if (Double.isNaN(lastValid)) lastValid = validate(model, valid, t);
        String ckpt = dir.checkpointDir(rep.step()) + "/model.safetensors";
        return new Summary(dir.uri(), rep.step(), lastTrain, lastValid, ckpt);
    }

    /** The run directory (created when missing); a path that cannot be one is named with its key. */
    public static RunDirectory runDirectory(TrainConfig t) throws IOException {
        try {
            return new RunDirectory(t.runDir());
        } catch (IOException e) {
            throw new IOException("train.run_dir = " + t.runDir() + ": cannot create the run directory there ("
                    + e.getMessage() + ")", e);
        }
    }

    /** The documented policy's end: more than {@link #MAX_SKIPPED_STEPS} skipped steps in a row. */
    public static NumericalFault stopped(long step, long inARow, String fault, RunDirectory dir) {
        return new NumericalFault("training stopped at step " + step + " after " + inARow + " consecutive non-finite steps "
                + "(more than " + MAX_SKIPPED_STEPS + " in a row); the last one: " + fault + ". The parameters were not "
                + "updated by these steps and the last complete checkpoint in " + dir.uri() + " is intact: lower train.lr "
                + "or train.grad_clip, or fix the data, and continue with --resume");
    }

    static Object finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }

    /**
     * Refuses, before anything is allocated, a model or batch that cannot fit: more than 2^31 - 1 parameters (the
     * flat ParamStore), activations of one replica beyond 2^31 - 1 elements per array, or parameters, gradients and
     * (with {@code adam}) Adam moments beyond this JVM's off-heap limit.
     *
     * @param streams streams one replica trains (B for the single-process trainer, B / W for a Spark slice)
     */
    public static void checkFits(ModelConfig mc, TrainConfig t, int streams, boolean adam) {
        String keys = "model.vocab_size=" + mc.vocabSize() + ", model.d_model=" + mc.dModel() + ", model.n_layers="
                + mc.nLayers() + ", model.n_heads=" + mc.nHeads() + ", model.head_dim=" + mc.headDim()
                + (mc.isMoe() ? ", model.n_experts=" + mc.nExperts() + ", model.expert_size=" + mc.expertSize()
                : ", model.d_ff=" + mc.dFf());
        // in double first: the int and long products of absurd sizes overflow
        double d = mc.dModel(), inner = (double) mc.nHeads() * mc.headDim();
        double ffn = mc.isMoe() ? (2.0 * mc.nExperts() * mc.expertSize() + mc.nExperts()) * d : (2.0 * d + 1) * mc.dFf() + d;
        double approx = 2.0 * mc.vocabSize() * d + mc.vocabSize() + 2 * d + mc.nLayers() * (4 * d + 5 * d * inner + 2 * inner + 1 + ffn);
        if (approx > Integer.MAX_VALUE || inner > Integer.MAX_VALUE)
            throw new ConfigException(String.format("the model has about %.3g parameters (%s); at most 2,147,483,647 fit in "
                    + "one parameter buffer: shrink the model", approx, keys));
        long n = sigmoe.model.ParamCount.model(mc);
        long rows = (long) streams * t.segmentLength();
        long mem = (long) t.memSegments() * t.segmentLength();
        long widest = Math.max(Math.max(mc.vocabSize(), mc.dModel()), Math.max(mc.attnDim(), mc.isMoe() ? mc.nExperts() : mc.dFf()));
        double scores = (double) streams * mc.nHeads() * t.segmentLength() * (mem + t.segmentLength());
        if (rows * widest > Integer.MAX_VALUE || scores > Integer.MAX_VALUE)
            throw new ConfigException("one replica's batch is too large: train.batch_size=" + t.batchSize() + " ("
                    + streams + " streams per replica) x train.segment_length=" + t.segmentLength() + " tokens x a width of "
                    + widest + " (" + keys + "), or attention scores over train.mem_segments=" + t.memSegments()
                    + ", exceed 2^31 - 1 elements in one array: lower train.batch_size or train.segment_length"
                    + " (or raise train.workers)");
        long bytes = n * 4L * (adam ? 4 : 2);
        long limit = org.bytedeco.javacpp.Pointer.maxBytes();
        if (limit > 0 && bytes > limit)
            throw new ConfigException(String.format("the model has %,d parameters (%s): parameters, gradients%s need %.1f GiB "
                    + "of off-heap memory, more than this JVM's limit of %.1f GiB (-Xmx, or -Dorg.bytedeco.javacpp.maxbytes): "
                    + "shrink the model or give the JVM more memory", n, keys, adam ? " and Adam moments" : "",
                    bytes / 1073741824.0, limit / 1073741824.0));
    }

    /** The splits must hold one batch of B streams (train) and one segment (valid), else the run fails late. */
    public static void checkSplits(Corpus corpus, TokenStream train, TokenStream valid, TrainConfig t) throws CorpusFormatException {
        long needTrain = (long) t.batchSize() * t.segmentLength() + 1;
        if (train.size() < needTrain)
            throw new CorpusFormatException(corpus.uri() + ": the train split has " + train.size() + " tokens, too few for "
                    + "train.batch_size=" + t.batchSize() + " streams of train.segment_length=" + t.segmentLength()
                    + " tokens (at least " + needTrain + "): use a larger corpus or a smaller batch or segment");
        if (valid.size() < t.segmentLength() + 1L)
            throw new CorpusFormatException(corpus.uri() + ": the valid split has " + valid.size() + " tokens, fewer than one "
                    + "segment of train.segment_length=" + t.segmentLength() + " tokens plus its target (validation needs "
                    + (t.segmentLength() + 1L) + ")");
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
        Checkpoint ck = Checkpoint.load(d + "/model.safetensors");
        String slices = ck.metadata().get("slices");
        if (slices != null && !slices.equals("1"))
            throw new ConfigException(d + ": written by the Spark trainer with " + slices + " slices (__metadata__.slices); "
                    + "the single-process trainer resumes only its own checkpoints: resume without --single-process and "
                    + "train.workers=" + slices);
        ck.loadInto(rep.model.params);
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
