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
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.model.ModelConfig;
import sigmoe.nn.Param;
import sigmoe.model.TransformerXL;
import sigmoe.train.ExpertReport;
import sigmoe.train.MetricsLog;
import sigmoe.train.Progress;
import sigmoe.train.RunDirectory;
import sigmoe.train.TrainConfig;
import sigmoe.train.Trainer;

/**
 * The parameter-averaging trainer on Spark's core API. The B streams form W fixed slices (one Spark partition each);
 * every round each slice task loads the averaged parameters and Adam moments from the driver's {@link StateServer},
 * runs H local steps on its executor-resident replica (which keeps its XL memory) and sends its state back there
 * with its losses and raw expert counts. A slice task lives for a span of train.rounds_per_job rounds ({@link SpanJob}).
 * The driver averages the slices' states straight into the next round's published state and only then logs the
 * metrics.jsonl line, validates and checkpoints, while the executors compute: a round's critical path on the driver
 * is its averaging alone.
 * With W = 1 it gives exactly the single-process {@link Trainer}'s parameters.
 */
public final class SparkTrainer {
    /** Attempts of a barrier round (global regulariser) before the run fails, as spark.task.maxFailures' default. */
    static final int BARRIER_ROUND_ATTEMPTS = 4;

    private SparkTrainer() {}

    public static Trainer.Summary run(RunConfig rc, JavaSparkContext sc, PrintStream out) throws IOException {
        return run(plan(rc, out), sc, out);
    }

    /**
     * Everything a run needs that can be checked without Spark: the corpus (train and valid splits fully verified),
     * the configuration against it, and the checkpoint to resume from (model, shared state and every slice's state
     * file read). The train command calls it before starting Spark so that bad input fails fast; nothing in the run
     * directory is replaced until it has passed.
     */
    public static Plan plan(RunConfig rc, PrintStream out) throws IOException {
        TrainConfig t = rc.train();
        Corpus corpus = Corpus.open(t.data());
        ModelConfig mc = rc.modelFor(corpus.vocabSize());
        Trainer.checkFits(mc, t, t.streamsPerWorker(), false); // the driver holds parameters and gradients off-heap
        TokenStream train = corpus.split("train"), valid = corpus.split("valid");
        Trainer.checkSplits(corpus, train, valid, t);
        RunConfig resolved = new RunConfig(rc.description(), mc, t);
        RunDirectory dir = Trainer.runDirectory(t);
        // The driver's model: initial parameters, validation and checkpoints of the averaged state.
        TransformerXL model = new TransformerXL(mc, DataType.FLOAT);
        model.initialise(t.seed());
        int n = (int) model.params.size();
        RoundState state = new RoundState(0, 0, RoundState.copyOf(model.params.values()), new float[n], new float[n]);
        String resumeDir = null;
        long resumeStep = -1;
        if (t.resume() && !dir.checkpointSteps().isEmpty()) {
            resumeStep = dir.checkpointSteps().get(dir.checkpointSteps().size() - 1);
            resumeDir = dir.checkpointDir(resumeStep);
            state = SparkCheckpoint.readState(resumeDir, model, resumeStep, t.workers());
            out.println("resumed from " + resumeDir + " at step " + resumeStep);
        }
        return new Plan(resolved, dir, valid, model, state, resumeDir, resumeStep);
    }

    /** A checked run: see {@link #plan}. */
    public static final class Plan {
        final RunConfig resolved;
        final RunDirectory dir;
        final TokenStream valid;
        final TransformerXL model;
        final RoundState state;
        final String resumeDir;
        final long resumeStep;

        Plan(RunConfig resolved, RunDirectory dir, TokenStream valid, TransformerXL model, RoundState state, String resumeDir,
             long resumeStep) {
            this.resolved = resolved;
            this.dir = dir;
            this.valid = valid;
            this.model = model;
            this.state = state;
            this.resumeDir = resumeDir;
            this.resumeStep = resumeStep;
        }
    }

    public static Trainer.Summary run(Plan plan, JavaSparkContext sc, PrintStream out) throws IOException {
        RunConfig resolved = plan.resolved;
        TrainConfig t = resolved.train();
        ModelConfig mc = resolved.model();
        RunDirectory dir = plan.dir;
        TransformerXL model = plan.model;
        int workers = t.workers(), h = t.averagingFrequency();
        dir.writeAtomically("config.conf", resolved.toHocon().getBytes(StandardCharsets.UTF_8));
        MetricsLog metrics = new MetricsLog(dir, plan.resumeStep);
        String runId = UUID.randomUUID().toString();
        boolean global = mc.isMoe() && mc.entropyReg() > 0 && t.entropyRegMode() == TrainConfig.EntropyRegMode.GLOBAL && workers > 1;
        String host = exchangeHost(t, sc);
        List<Integer> slices = new ArrayList<>();
        for (int w = 0; w < workers; w++) slices.add(w);
        // Cached, so each slice's partition has a home executor: the scheduler then sends slice w's task back to the
        // executor holding its replica (PROCESS_LOCAL) instead of anywhere free; without it replicas hop and rebuild.
        JavaRDD<Integer> rdd = sc.parallelize(slices, workers).cache();
        AllReduceServer allReduce = null;
        StateServer exchange = null;
        SpanJob jobs = null;
        Progress progress = new Progress(plan.state.step(), t.steps());
        double lastTrain = Double.NaN, lastValid = Double.NaN;
        long rebuildsTotal = 0, step = plan.state.step();
        long lastRound = (t.steps() + h - 1) / h - 1, span = t.roundsPerJob();
        try {
            // Both servers' threads are daemons, and the finally below closes them however the run ends.
            exchange = new StateServer(host, t.exchangePort(), workers);
            int allReducePort = t.exchangePort() == 0 ? 0 : t.exchangePort() + 1;
            allReduce = global ? new AllReduceServer(host, allReducePort, workers, exchange.endpoint().secret()) : null;
            StateClient.Endpoint exchangeAt = exchange.endpoint(), allReduceAt = allReduce != null ? allReduce.endpoint() : null;
            String json = resolved.toJson(), resumeDir = plan.resumeDir;
            long resumeStep = plan.resumeStep;
            jobs = new SpanJob(sc, rdd, "sigmoe-train-" + runId, global, exchange, (gen, first, lastOfSpan) -> new RoundSpec(
                    runId, json, workers, gen, first, lastOfSpan, resumeDir, resumeStep, global, allReduceAt, true, exchangeAt), out);
            List<String> homes = SlicePlacement.place(sc, rdd, workers, out);
            out.printf("training %s on Spark (%s): %,d parameters, %d slices x %d streams x %d tokens, H = %d, %,d steps, "
                    + "%d rounds per Spark job, entropy regulariser %s, run dir %s, round-state exchange %s%n", mc.ffn().id,
                    sc.master(), model.params.size(), workers, t.batchSize() / workers, t.segmentLength(), h, t.steps(), span,
                    global ? "global" : "local", dir.uri(), exchange.endpoint());
            out.println(SlicePlacement.describe(homes));
            Rounds rounds = new Rounds(t, dir);
            long loop0 = System.nanoTime(), driverCpu = CpuClock.process();
            Round cur = null;
            if (step < t.steps()) {
                long r0 = System.nanoTime();
                cur = rounds.next(step, plan.state.adamStep());
                exchange.publish(cur.round, plan.state, cur.info());
                cur = cur.publishedAt(r0, System.nanoTime());
                jobs.start(cur.round, Math.min(cur.round + span - 1, lastRound));
            }
            while (cur != null) {
                StateServer.Arrived arrived;
                try {
                    arrived = jobs.await(cur.round);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while round " + cur.round + " ran");
                }
                long done = System.nanoTime();
                // the next span's tasks launch while the driver averages (they wait at the exchange for the round)
                if (cur.round == jobs.last() && cur.round < lastRound) jobs.start(cur.round + 1, Math.min(cur.round + span, lastRound));
                SliceResult sums = SliceResult.empty();
                for (SliceResult.SliceOutput o : arrived.outputs()) SliceResult.add(sums, o); // slice order: same sums every run
                double roundS = (done - cur.published) / 1e9;
                rebuildsTotal += sums.rebuilds;
                if (sums.maxSkipRun > Trainer.MAX_SKIPPED_STEPS) {
                    if (cur.ckptTmp != null) SparkCheckpoint.deleteQuietly(cur.ckptTmp);
                    throw Trainer.stopped(cur.end, sums.maxSkipRun, sums.fault, dir);
                }
                long m0 = System.nanoTime();
                // Straight into the buffers the next round is served from, with the finite check in the same pass.
                RoundBuffers next = exchange.average(cur.round, arrived.tokens(), cur.end, cur.adamStep + cur.steps - sums.skipped / workers);
                // Skipped steps leave a slice's parameters as they were, so the mean stays finite; anything else non-finite
                // (an overflowing update) must not reach the next round or a checkpoint.
                if (!next.finite()) {
                    if (cur.ckptTmp != null) SparkCheckpoint.deleteQuietly(cur.ckptTmp);
                    String bad = firstNonFinite(model, next.toRoundState());
                    throw new Trainer.NumericalFault("training stopped after step " + cur.end + ": the averaged "
                            + (bad != null ? bad : "state") + " is not finite; the last complete checkpoint in " + dir.uri()
                            + " is intact: lower train.lr and continue with --resume");
                }
                double averageS = (System.nanoTime() - m0) / 1e9;
                step = cur.end;
                // The round cycle ends here, where the next round is published: wall seconds since this invocation's
                // first round (consecutive differences are whole cycles, the denominator of the comm share) and the
                // driver's CPU over the cycle, all of it outside the slices' compute.
                double elapsedS = (System.nanoTime() - loop0) / 1e9;
                long cpuNow = CpuClock.process();
                double driverCpuS = (cpuNow - driverCpu) / 1e9;
                driverCpu = cpuNow;
                // The next round runs on the executors while the driver logs, validates and checkpoints this one: none
                // of that changes what the next round needs (its state is published, the driver's model is its own).
                Round following = null;
                if (step < t.steps()) {
                    long r0 = System.nanoTime();
                    following = rounds.next(step, next.adamStep());
                    exchange.publish(following.round, next, following.info()); // no copy: the mean is already in the served buffers
                    following = following.publishedAt(r0, System.nanoTime());
                }
                try {
                    lastTrain = sums.tokens > 0 ? sums.ceSum / sums.tokens : Double.NaN;
                    boolean last = step == t.steps();
                    boolean eval = t.evalInterval() > 0 && (last || step / t.evalInterval() > (step - cur.steps) / t.evalInterval());
                    if (eval || cur.ckptTmp != null) next.paramsInto(model.params.values()); // only when it reads them
                    Map<String, Object> rec = record(cur, sums, lastTrain, roundS, averageS, jobs.jobs(), model);
                    String extra = sums.rebuilds > 0 ? sums.rebuilds + " replicas rebuilt" : "";
                    if (sums.skipped > 0) {
                        extra = (extra.isEmpty() ? "" : extra + " | ") + sums.skipped + " steps skipped";
                        out.println("round " + cur.round + ": " + sums.skipped + " slice steps skipped, parameters of those "
                                + "steps unchanged; first: " + sums.fault);
                    }
                    if (eval) {
                        model.resetMemory();
                        lastValid = validate(model, plan.valid, t);
                        rec.put("valid_loss", lastValid);
                        extra = (extra.isEmpty() ? "" : extra + " | ") + String.format("valid %.4f", lastValid);
                    }
                    rec.put("elapsed_s", elapsedS);
                    rec.put("driver_cpu_s", driverCpuS);
                    metrics.append(rec);
                    out.println(progress.line(step, lastTrain, sums.tokens / roundS, 0, extra).replace(" | lr 0.00e+00", ""));
                    if (cur.ckptTmp != null) {
                        SparkCheckpoint.removeTemporaries(cur.ckptTmp);
                        SparkCheckpoint.writeShared(model, resolved, mc, next.toRoundState(), cur.ckptTmp, workers);
                        dir.commitCheckpoint(step);
                        dir.pruneCheckpoints(3);
                    }
                } catch (IOException | RuntimeException | Error e) {
                    // the next round is not awaited: its job is cancelled (finally), its half-written checkpoint removed
                    if (following != null) {
                        jobs.close();
                        if (following.ckptTmp != null) SparkCheckpoint.deleteQuietly(following.ckptTmp);
                    }
                    throw e;
                }
                cur = following;
            }
            try {
                jobs.finish(); // the last span's tasks return after their last upload
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while the last Spark job ended");
            }
        } finally {
            try {
                if (jobs != null) jobs.close(); // a span still running after a failure is cancelled
            } finally {
                rdd.unpersist(false);
                try {
                    if (allReduce != null) allReduce.close();
                } finally {
                    if (exchange != null) exchange.close();
                }
            }
        }
        if (Double.isNaN(lastValid)) lastValid = validate(model, plan.valid, t);
        out.printf("replicas rebuilt during the run: %d%n", rebuildsTotal);
        return new Trainer.Summary(dir.uri(), step, lastTrain, lastValid, dir.checkpointDir(step) + "/model.safetensors");
    }

    /**
     * A round as published: its index, steps, counters and checkpoint directory; when its state's publication began
     * (System.nanoTime) and how long it took ("broadcast_s").
     */
    private record Round(long round, int steps, long end, long adamStep, String ckptTmp, long published, double broadcastS) {
        StateServer.RoundInfo info() { return new StateServer.RoundInfo(steps, ckptTmp); }

        Round publishedAt(long from, long to) { return new Round(round, steps, end, adamStep, ckptTmp, from, (to - from) / 1e9); }
    }

    /** How rounds follow each other: their steps and checkpoints. */
    private record Rounds(TrainConfig t, RunDirectory dir) {
        /** The round that starts at {@code step} (its checkpoint directory begun when it ends on a checkpoint). */
        Round next(long step, long adamStep) throws IOException {
            int h = t.averagingFrequency();
            int steps = (int) Math.min(h, t.steps() - step);
            long end = step + steps;
            boolean ckpt = end == t.steps() || (t.checkpointInterval() > 0 && end / t.checkpointInterval() > step / t.checkpointInterval());
            return new Round(step / h, steps, end, adamStep, ckpt ? dir.beginCheckpoint(end) : null, 0, 0);
        }
    }

    /** The round's metrics.jsonl line up to its validation and cycle times. */
    private static Map<String, Object> record(Round r, SliceResult sums, double loss, double roundS, double averageS,
                                              int sparkJobs, TransformerXL model) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("round", r.round);
        rec.put("step", r.end);
        rec.put("loss", Double.isFinite(loss) ? loss : null);
        rec.put("reg", sums.regSum / Math.max(1, sums.steps));
        rec.put("tokens", sums.tokens);
        rec.put("tokens_per_s", sums.tokens / roundS);
        rec.put("round_s", roundS);
        rec.put("broadcast_s", r.broadcastS());
        rec.put("compute_s", sums.maxComputeSeconds);
        rec.put("comm_s", Math.max(0, roundS - sums.maxComputeSeconds));
        // the round's parts outside the compute (slowest slice for the executor phases): see SliceResult.Times
        rec.put("fetch_s", sums.maxFetchSeconds);
        rec.put("load_s", sums.maxLoadSeconds);
        rec.put("pack_s", sums.maxPackSeconds);
        rec.put("spark_jobs", sparkJobs);
        rec.put("average_s", averageS);
        rec.put("compute_cpu_s", sums.maxComputeCpuSeconds);
        rec.put("executor_cpu_s", sums.maxExecutorCpuSeconds);
        rec.put("rebuilds", sums.rebuilds);
        rec.put("skipped_steps", sums.skipped);
        if (sums.fault != null) rec.put("fault", sums.fault);
        rec.put("experts", ExpertReport.summarise(model, sums.expertCounts == null ? new double[0] : sums.expertCounts));
        return rec;
    }

    /**
     * Where the driver's servers listen (and executors connect): train.exchange_host, else Spark's spark.driver.host
     * (which SparkContext always sets), else the local address Spark would choose (SPARK_LOCAL_IP / SPARK_LOCAL_HOSTNAME).
     */
    static String exchangeHost(TrainConfig t, JavaSparkContext sc) {
        if (t.exchangeHost() != null) return t.exchangeHost();
        return sc.getConf().contains("spark.driver.host") ? sc.getConf().get("spark.driver.host")
                : org.apache.spark.util.Utils.localHostName();
    }

    static double validate(TransformerXL model, TokenStream valid, TrainConfig t) {
        int batch = Math.max(1, Math.min(t.batchSize(), (int) ((valid.size() - 1) / t.segmentLength())));
        return sigmoe.eval.Evaluator.evaluate(model, valid, t.segmentLength(), 1, batch, 0, batch, t.evalBatches()).loss();
    }

    /** The first tensor (model order; Adam moments after the parameters) holding a NaN or an infinity, or null. */
    static String firstNonFinite(TransformerXL model, RoundState s) {
        String[] what = {"parameter ", "Adam first moment of ", "Adam second moment of "};
        float[][] arrays = {s.params(), s.m(), s.v()};
        for (int a = 0; a < arrays.length; a++) {
            for (Param p : model.params.params()) {
                for (long i = p.offset; i < p.offset + p.length; i++) {
                    if (!Float.isFinite(arrays[a][(int) i])) return what[a] + p.name;
                }
            }
        }
        return null;
    }
}
