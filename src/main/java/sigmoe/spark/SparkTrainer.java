package sigmoe.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.model.Checkpoint;
import sigmoe.model.CheckpointState;
import sigmoe.model.ModelConfig;
import sigmoe.model.TransformerXL;
import sigmoe.train.ExpertReport;
import sigmoe.train.MetricsLog;
import sigmoe.train.Progress;
import sigmoe.train.RunDirectory;
import sigmoe.train.TrainConfig;
import sigmoe.train.Trainer;

/**
 * The parameter-averaging trainer on Spark's core API. The B streams form W fixed slices (one Spark partition each);
 * every round the driver broadcasts the averaged parameters and Adam moments, each slice runs H local steps on its
 * executor-resident replica (which keeps its XL memory), and treeAggregate returns sums of parameters, moments,
 * losses and raw expert counts. The driver averages, logs a metrics.jsonl line and checkpoints.
 * With W = 1 it gives exactly the single-process {@link Trainer}'s parameters.
 */
public final class SparkTrainer {
    private SparkTrainer() {}

    public static Trainer.Summary run(RunConfig rc, JavaSparkContext sc, PrintStream out) throws IOException {
        TrainConfig t = rc.train();
        Corpus corpus = Corpus.open(t.data());
        ModelConfig mc = rc.modelFor(corpus.vocabSize());
        RunConfig resolved = new RunConfig(rc.description(), mc, t);
        RunDirectory dir = new RunDirectory(t.runDir());
        dir.writeAtomically("config.conf", resolved.toHocon().getBytes(StandardCharsets.UTF_8));
        TokenStream valid = corpus.split("valid");
        int workers = t.workers(), h = t.averagingFrequency();

        // The driver's model: initial parameters, validation and checkpoints of the averaged state.
        TransformerXL model = new TransformerXL(mc, DataType.FLOAT);
        model.initialise(t.seed());
        int n = (int) model.params.size();
        RoundState state = new RoundState(0, 0, SliceTask.get(model.params.values()), new float[n], new float[n]);
        String resumeDir = null;
        long resumeStep = -1;
        if (t.resume() && !dir.checkpointSteps().isEmpty()) {
            resumeStep = dir.checkpointSteps().get(dir.checkpointSteps().size() - 1);
            resumeDir = dir.checkpointDir(resumeStep);
            state = readState(resumeDir, model, resumeStep);
            out.println("resumed from " + resumeDir + " at step " + resumeStep);
        }
        MetricsLog metrics = new MetricsLog(dir, resumeStep);
        String runId = UUID.randomUUID().toString();
        String configJson = resolved.toJson();
        boolean global = mc.isMoe() && mc.entropyReg() > 0 && t.entropyRegMode() == TrainConfig.EntropyRegMode.GLOBAL && workers > 1;
        AllReduceServer allReduce = global ? new AllReduceServer(sc.getConf().get("spark.driver.host",
                java.net.InetAddress.getLocalHost().getHostAddress()), workers) : null;
        List<Integer> slices = new ArrayList<>();
        for (int w = 0; w < workers; w++) slices.add(w);
        // Cached, so each slice's partition has a home executor: the scheduler then sends slice w's task back to the
        // executor holding its replica (PROCESS_LOCAL) instead of anywhere free; without it replicas hop and rebuild.
        JavaRDD<Integer> rdd = sc.parallelize(slices, workers).cache();
        rdd.count();
        long totalRounds = (t.steps() + h - 1) / h;

        out.printf("training %s on Spark (%s): %,d parameters, %d slices x %d streams x %d tokens, H = %d, %,d steps, "
                + "entropy regulariser %s, run dir %s%n", mc.ffn().id, sc.master(), model.params.size(), workers,
                t.batchSize() / workers, t.segmentLength(), h, t.steps(), global ? "global" : "local", dir.uri());
        Progress progress = new Progress(state.step(), t.steps());
        double lastTrain = Double.NaN, lastValid = Double.NaN;
        long rebuildsTotal = 0;
        try {
            while (state.step() < t.steps()) {
                long round = state.step() / h;
                int steps = (int) Math.min(h, t.steps() - state.step());
                long end = state.step() + steps;
                boolean ckpt = end == t.steps() || (t.checkpointInterval() > 0 && end / t.checkpointInterval() > state.step() / t.checkpointInterval());
                String ckptTmp = ckpt ? dir.beginCheckpoint(end) : null;
                sc.setJobGroup("sigmoe-train-" + runId, String.format("round %d/%d, steps %d-%d", round + 1, totalRounds,
                        state.step() + 1, end), false);
                long r0 = System.nanoTime();
                Broadcast<RoundState> bc = sc.broadcast(state);
                double broadcastS = (System.nanoTime() - r0) / 1e9;
                RoundSpec spec = new RoundSpec(runId, configJson, workers, round, steps, ckptTmp, resumeDir, resumeStep, global,
                        allReduce != null ? allReduce.address() : null, true);
                SliceResult sums = aggregate(rdd, spec, bc, global, t.treeDepth());
                bc.destroy();
                double roundS = (System.nanoTime() - r0) / 1e9;
                if (sums.slices != workers)
                    throw new IllegalStateException("round " + round + " returned " + sums.slices + " slices, expected " + workers);
                rebuildsTotal += sums.rebuilds;
                state = new RoundState(end, state.adamStep() + steps - sums.skipped / workers,
                        SliceResult.mean(sums.params, workers), SliceResult.mean(sums.m, workers), SliceResult.mean(sums.v, workers));
                SliceTask.put(model.params.values(), state.params());

                lastTrain = sums.ceSum / Math.max(1, sums.tokens);
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("round", round);
                rec.put("step", end);
                rec.put("loss", lastTrain);
                rec.put("reg", sums.regSum / Math.max(1, sums.steps));
                rec.put("tokens", sums.tokens);
                rec.put("tokens_per_s", sums.tokens / roundS);
                rec.put("round_s", roundS);
                rec.put("broadcast_s", broadcastS);
                rec.put("compute_s", sums.maxComputeSeconds);
                rec.put("comm_s", Math.max(0, roundS - sums.maxComputeSeconds));
                rec.put("rebuilds", sums.rebuilds);
                rec.put("skipped_steps", sums.skipped);
                rec.put("experts", ExpertReport.summarise(model, sums.expertCounts == null ? new double[0] : sums.expertCounts));
                String extra = sums.rebuilds > 0 ? sums.rebuilds + " replicas rebuilt" : "";
                boolean last = end == t.steps();
                if (t.evalInterval() > 0 && (last || end / t.evalInterval() > (end - steps) / t.evalInterval())) {
                    model.resetMemory();
                    lastValid = validate(model, valid, t);
                    rec.put("valid_loss", lastValid);
                    extra = (extra.isEmpty() ? "" : extra + " | ") + String.format("valid %.4f", lastValid);
                }
                metrics.append(rec);
                out.println(progress.line(end, lastTrain, sums.tokens / roundS, 0, extra).replace(" | lr 0.00e+00", ""));
                if (ckpt) {
                    writeShared(model, resolved, mc, state, ckptTmp, workers);
                    dir.commitCheckpoint(end);
                    dir.pruneCheckpoints(3);
                }
                resumeDir = null;
            }
        } finally {
            rdd.unpersist(false);
            if (allReduce != null) allReduce.close();
        }
        if (Double.isNaN(lastValid)) lastValid = validate(model, valid, t);
        out.printf("replicas rebuilt during the run: %d%n", rebuildsTotal);
        return new Trainer.Summary(dir.uri(), state.step(), lastTrain, lastValid, dir.checkpointDir(state.step()) + "/model.safetensors");
    }

    /** One round on the executors: barrier stage when the entropy regulariser is global (allGather at every step). */
    static SliceResult aggregate(JavaRDD<Integer> rdd, RoundSpec spec, Broadcast<RoundState> bc, boolean barrier, int depth) {
        JavaRDD<SliceResult.SliceOutput> outs;
        if (barrier) {
            outs = BarrierRound.map(rdd, spec, bc);
        } else {
            outs = rdd.mapPartitions(it -> java.util.List.of(SliceTask.run(it.next(), spec, bc.value())).iterator(), true);
        }
        return outs.treeAggregate(SliceResult.empty(), SliceResult::add, SliceResult::merge, Math.max(1, depth));
    }

    static double validate(TransformerXL model, TokenStream valid, TrainConfig t) {
        int batch = Math.max(1, Math.min(t.batchSize(), (int) ((valid.size() - 1) / t.segmentLength())));
        return sigmoe.eval.Evaluator.evaluate(model, valid, t.segmentLength(), 1, batch, 0, batch, t.evalBatches()).loss();
    }

    /** The averaged model and moments; the slices wrote their own state files (cursor, RNG, XL memory) beside it. */
    static void writeShared(TransformerXL model, RunConfig rc, ModelConfig mc, RoundState s, String dir, int workers) throws IOException {
        Checkpoint.save(model.params, mc, s.step(), Trainer.checkpointMetadata(rc.train().segmentLength(), workers),
                dir + "/model.safetensors");
        new CheckpointState().putFloats("adam.m", s.m()).putFloats("adam.v", s.v()).setLong("adam.step", s.adamStep())
                .setLong("step", s.step()).write(dir + "/state-shared.safetensors");
    }

    static RoundState readState(String dir, TransformerXL model, long step) throws IOException {
        Checkpoint.load(dir + "/model.safetensors").loadInto(model.params);
        CheckpointState s = CheckpointState.read(dir + "/state-shared.safetensors");
        return new RoundState(step, s.getLong("adam.step"), SliceTask.get(model.params.values()), s.floats("adam.m"), s.floats("adam.v"));
    }
}
