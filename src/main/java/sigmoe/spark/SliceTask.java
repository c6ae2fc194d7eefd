package sigmoe.spark;

import java.io.IOException;
import org.apache.spark.TaskContext;
import sigmoe.nn.RowParallel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.config.RunConfig;
import sigmoe.model.TransformerXL;
import sigmoe.train.ExpertReport;
import sigmoe.train.LrSchedule;
import sigmoe.train.Replica;
import sigmoe.train.ReplicaState;
import sigmoe.train.SegmentStreams;
import sigmoe.train.TrainConfig;
import sigmoe.train.Trainer;

/**
 * What one Spark task does for a span of rounds, on its executor: per round, fetch the averaged state from the
 * driver's {@link StateServer} (waiting there until the driver has published it), find (or rebuild) the slice's
 * replica, run the round's local steps on the slice's fixed streams, and send its state and round report back.
 */
final class SliceTask {
    private SliceTask() {}

    /** Runs the rounds of {@code spec}'s span for one slice; returns how many this attempt completed. */
    static int run(int slice, RoundSpec spec) throws IOException {
        setThreads();
        int done = 0;
        try (StateClient state = new StateClient(spec.exchange(), slice)) {
            for (long min = spec.firstRound(); min <= spec.lastRound(); done++) {
                long cpu0 = CpuClock.process();
                StateClient.Header h = state.get(spec.generation(), min);
                if (h == null) break; // the driver ended the span early (another slice's retry needs this slot)
                round(slice, spec, state, h, cpu0);
                min = h.round() + 1;
            }
        }
        return done;
    }

    /** One round on the replica: its state just announced in {@code h}. */
    private static void round(int slice, RoundSpec spec, StateClient state, StateClient.Header h, long cpu0) throws IOException {
        RunConfig rc = ReplicaRegistry.config(spec.runId(), spec.configJson());
        TrainConfig t = rc.train();
        boolean rebuilt = false;
        long f1 = System.nanoTime();
        // The replica leaves the registry while this attempt mutates it and returns only when the round succeeded:
        // an attempt that fails half-way (its barrier stage aborted, its task killed) leaves nothing behind, so a
        // retry on this executor rebuilds from the round's state instead of reusing a half-advanced replica
        // (whose XL memory and RNG may already hold part of the round while its step counter does not show it).
        Replica rep = ReplicaRegistry.take(spec.runId(), slice);
        if (rep == null || rep.step() != h.step()) {
            rep = build(rc, slice, spec.workers());
            if (spec.resumeDir() != null && h.step() == spec.resumeStep()) {
                ReplicaState.read(rep, spec.resumeDir() + "/state-slice-" + slice + ".safetensors");
            } else if (h.step() > 0) {
                // Lost replica (executor died, task moved): the stream resumes at the right batch with empty memory.
                rebuilt = true;
                rep.rng.setState(Trainer.replicaSeed(t.seed(), slice) ^ (h.step() * 0x9E3779B97F4A7C15L));
            }
            rep.setStep(h.step());
        }
        long f2 = System.nanoTime();
        state.readInto(h, rep.model.params.values(), rep.adam.m(), rep.adam.v());
        rep.adam.setStep(h.adamStep());
        long f3 = System.nanoTime();

        LrSchedule schedule = LrSchedule.of(t);
        ExpertReport.collect(rep.model, spec.collectStats());
        ExpertReport.clear(rep.model);
        AllReduceClient allReduce = spec.globalEntropy() ? new AllReduceClient(spec.allReduce(), slice) : null;
        Replica.BeforeBackward sync = allReduce != null ? new GlobalEntropySync(allReduce) : null;
        double ce = 0, reg = 0;
        long tokens = 0, skipped = 0, maxSkipRun = 0;
        String fault = null;
        long t0 = System.nanoTime(), c0 = CpuClock.thread();
        // Every step runs even after faults: in a barrier round the other slices wait for this one's all-reduce contribution.
        for (int s = 0; s < h.steps(); s++) {
            Replica.StepResult r = rep.step(schedule, t.gradClip(), sync);
            if (!r.applied()) {
                skipped++;
                maxSkipRun = Math.max(maxSkipRun, rep.consecutiveSkips());
                if (fault == null) fault = "slice " + slice + ", step " + (r.step() + 1) + ": " + r.fault();
                continue;
            }
            ce += r.ceSum();
            reg += r.reg();
            tokens += r.tokens();
        }
        double secs = (System.nanoTime() - t0) / 1e9, cpu = c0 < 0 ? Double.NaN : (CpuClock.thread() - c0) / 1e9;
        if (allReduce != null) allReduce.close();
        if (h.checkpointDir() != null)
            ReplicaState.write(rep, h.checkpointDir() + "/state-slice-" + slice + ".safetensors", false);
        double[] counts = spec.collectStats() ? ExpertReport.flatten(rep.model) : null;
        TaskContext tc = TaskContext.get();
        long attempt = tc != null ? tc.taskAttemptId() : java.util.concurrent.ThreadLocalRandom.current().nextLong();
        // the upload's time (pack) is measured by the exchange as it receives the report inside it
        SliceResult.Times times = new SliceResult.Times((f3 - f2) / 1e9, (f2 - f1) / 1e9, secs, 0, cpu, CpuClock.sinceLastTask(cpu0));
        SliceResult.SliceOutput out = new SliceResult.SliceOutput(slice, counts, ce, reg, tokens, h.steps(),
                skipped, rebuilt, times, maxSkipRun, fault);
        // Back in the registry before the upload: the driver may start the next span's job as soon as the upload
        // arrives, and its task on this executor must find the replica. Should the upload fail, a retry of this round
        // sees the replica's step past the round's and rebuilds.
        ReplicaRegistry.put(spec.runId(), slice, rep);
        state.put(spec.generation(), h.round(), slice, attempt, rep.model.params.values(), rep.adam.m(), rep.adam.v(), out.encode());
    }

    static Replica build(RunConfig rc, int slice, int workers) {
        TrainConfig t = rc.train();
        int per = t.batchSize() / workers;
        TransformerXL model = new TransformerXL(rc.model(), DataType.FLOAT);
        SegmentStreams streams = new SegmentStreams(ReplicaRegistry.train(t.data()), t.segmentLength(), t.batchSize(),
                slice * per, (slice + 1) * per);
        return new Replica(model, Trainer.adam(model, t), streams, t.memLength(), Trainer.replicaSeed(t.seed(), slice));
    }

    /**
     * ND4J/BLAS threads and the Java loops' blocks and expert workers ({@link RowParallel}) = the task's cores, so
     * concurrent tasks in one executor JVM, and executors sharing a machine, do not oversubscribe it; on a GPU
     * executor (spark.task.resource.gpu.amount = 1) the task's GPU address from TaskContext.resources() selects the
     * ND4J device for this thread.
     */
    private static void setThreads() {
        TaskContext tc = TaskContext.get();
        if (tc == null) return;
        scala.Option<org.apache.spark.resource.ResourceInformation> gpu = tc.resources().get("gpu");
        if (gpu.isDefined() && gpu.get().addresses().length > 0)
            Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(gpu.get().addresses()[0].trim()));
        int cpus = Math.max(1, tc.cpus());
        if (RowParallel.threads() != cpus) RowParallel.setThreads(cpus); // the JVM sees all the machine's cores
        if (Nd4j.getEnvironment().maxThreads() != cpus) {
            Nd4j.getEnvironment().setMaxThreads(cpus);
            Nd4j.getEnvironment().setMaxMasterThreads(cpus);
            Nd4j.factory().blas().setMaxThreads(cpus);
        }
    }
}
