package sigmoe.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything about a training run that is not the model: optimisation, batching, evaluation, checkpoints, data and
 * the Spark layout. Loaded from the {@code train} section of a run configuration (sigmoe.config.RunConfig, key
 * names in snake_case, documented in conf/README.md); defaults follow the paper (App. B, paper.md §3.5–3.7, §6).
 *
 * @param seed                 seed of every random stream (init, dropout, expert dropout); same seed, same run
 * @param batchSize            B: number of parallel token streams in the global batch (64 WT-103, 32 enwik8)
 * @param segmentLength        T: tokens per segment and step (256 WT-S, 512 WT-B/E8)
 * @param memSegments          XL memory in training, in segments (the paper: 1, i.e. memory length T)
 * @param steps                optimiser steps in total (100 000 in the paper); the cosine schedule spans them
 * @param lr                   peak learning rate (2.5e-4)
 * @param lrSchedule           cosine decay to 0 over {@code steps} (shifted by the warm-up) or constant
 * @param warmup               linear warm-up steps (4000 for the 262M models, else 0)
 * @param gradClip             global L2 norm clip (0.25; 0.1 for the WT-S dense baselines); 0 disables
 * @param logInterval     steps between training-metric lines in metrics.jsonl
 * @param evalInterval         steps between periodic validations (0 = never); memory 1 segment, batch B
 * @param evalBatches          periodic validation: at most this many batches (0 = the whole split)
 * @param evalMemSegments      final evaluation memory in segments (the paper: 4)
 * @param evalBatch            final evaluation streams (the paper: 4)
 * @param checkpointInterval   steps between checkpoints (0 = only at the end)
 * @param data                 prepared corpus directory (formats.md §1), any Hadoop FileSystem URI
 * @param runDir               directory for checkpoints, metrics and the resolved configuration
 * @param resume               continue from the newest checkpoint in runDir when one exists
 * @param workers              Spark slices W: the B streams are split into W fixed contiguous groups
 * @param averagingFrequency   H: local steps between parameter averagings (1 = every step)
 * @param averageOptimizerState average Adam moments together with the parameters
 * @param roundsPerJob         rounds a Spark job spans: its slice tasks stay alive from round to round (1 = a job per round)
 * @param entropyRegMode       σ-MoE regulariser's batch: global (all workers, as the paper) or local (per worker)
 * @param master               Spark master URL (local[*], spark://..., yarn)
 * @param exchangeHost         address the driver's round-state exchange listens on and executors connect to; null =
 *                             Spark's spark.driver.host
 * @param exchangePort         port of the round-state exchange; 0 = any free port
 */
public record TrainConfig(
        long seed,
        int batchSize,
        int segmentLength,
        int memSegments,
        long steps,
        double lr,
        LrSchedule lrSchedule,
        long warmup,
        double adamBeta1,
        double adamBeta2,
        double adamEps,
        double gradClip,
        long logInterval,
        long evalInterval,
        long evalBatches,
        int evalMemSegments,
        int evalBatch,
        long checkpointInterval,
        String data,
        String runDir,
        boolean resume,
        int workers,
        int averagingFrequency,
        boolean averageOptimizerState,
        int roundsPerJob,
        EntropyRegMode entropyRegMode,
        String master,
        String exchangeHost,
        int exchangePort) {

    /** The configuration without the round-state exchange's keys: their defaults (spark.driver.host, any free port). */
    public TrainConfig(long seed, int batchSize, int segmentLength, int memSegments, long steps, double lr,
                       LrSchedule lrSchedule, long warmup, double adamBeta1, double adamBeta2, double adamEps, double gradClip,
                       long logInterval, long evalInterval, long evalBatches, int evalMemSegments, int evalBatch,
                       long checkpointInterval, String data, String runDir, boolean resume, int workers,
                       int averagingFrequency, boolean averageOptimizerState, int roundsPerJob, EntropyRegMode entropyRegMode,
                       String master) {
        this(seed, batchSize, segmentLength, memSegments, steps, lr, lrSchedule, warmup, adamBeta1, adamBeta2, adamEps,
                gradClip, logInterval, evalInterval, evalBatches, evalMemSegments, evalBatch, checkpointInterval, data, runDir,
                resume, workers, averagingFrequency, averageOptimizerState, roundsPerJob, entropyRegMode, master, null, 0);
    }

    /** Learning-rate schedule after the warm-up. */
    public enum LrSchedule {
        COSINE("cosine"), CONSTANT("constant");

        public final String id;

        LrSchedule(String id) { this.id = id; }
    }

    /** Which tokens the σ-MoE entropy regulariser's average p is taken over (paper.md §1.3, §7 item 7). */
    public enum EntropyRegMode {
        /** p over the global batch (all workers), as the paper's all-reduce. */
        GLOBAL("global"),
        /** p over each worker's own tokens: no extra communication, an approximation. */
        LOCAL("local");

        public final String id;

        EntropyRegMode(String id) { this.id = id; }
    }

    /** Streams each worker owns (B / W). */
    public int streamsPerWorker() { return batchSize / workers; }

    /** Training XL memory length in tokens. */
    public int memLength() { return memSegments * segmentLength; }

    /** Final-evaluation XL memory length in tokens. */
    public int evalMemLength() { return evalMemSegments * segmentLength; }

    /** Every violated constraint, each naming the key, the value and the valid range; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (batchSize < 1) p.add("batch_size must be >= 1 (got " + batchSize + ")");
        if (workers < 1) p.add("workers must be >= 1 (got " + workers + ")");
        if (batchSize >= 1 && workers >= 1 && batchSize % workers != 0)
            p.add("batch_size (" + batchSize + " streams) must be divisible by workers (" + workers
                    + ") so that every worker owns the same number of streams");
        if (segmentLength < 1) p.add("segment_length must be >= 1 (got " + segmentLength + ")");
        if (memSegments < 0) p.add("mem_segments must be >= 0 (got " + memSegments + ")");
        if (steps < 1) p.add("steps must be >= 1 (got " + steps + ")");
        if (!(lr > 0) || Double.isInfinite(lr)) p.add("lr must be a finite number > 0 (got " + lr + ")");
        if (warmup < 0 || warmup > steps) p.add("warmup must be in [0, steps=" + steps + "] (got " + warmup + ")");
        if (!(adamBeta1 >= 0 && adamBeta1 < 1)) p.add("adam_beta1 must be in [0, 1) (got " + adamBeta1 + ")");
        if (!(adamBeta2 >= 0 && adamBeta2 < 1)) p.add("adam_beta2 must be in [0, 1) (got " + adamBeta2 + ")");
        if (!(adamEps > 0)) p.add("adam_eps must be > 0 (got " + adamEps + ")");
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) p.add("grad_clip must be >= 0, 0 disables (got " + gradClip + ")");
        if (logInterval < 1) p.add("log_interval must be >= 1 (got " + logInterval + ")");
        if (evalInterval < 0) p.add("eval_interval must be >= 0, 0 = never (got " + evalInterval + ")");
        if (evalBatches < 0) p.add("eval_batches must be >= 0, 0 = whole split (got " + evalBatches + ")");
        if (evalMemSegments < 0) p.add("eval_mem_segments must be >= 0 (got " + evalMemSegments + ")");
        if (evalBatch < 1) p.add("eval_batch must be >= 1 (got " + evalBatch + ")");
        if (checkpointInterval < 0) p.add("checkpoint_interval must be >= 0, 0 = only at the end (got " + checkpointInterval + ")");
        if (data == null || data.isBlank()) p.add("data must name the prepared corpus directory (e.g. train.data=data/wt103)");
        if (runDir == null || runDir.isBlank()) p.add("run_dir must be a directory URI (got '" + runDir + "')");
        if (averagingFrequency < 1) p.add("averaging_frequency must be >= 1 (got " + averagingFrequency + ")");
        if (roundsPerJob < 1) p.add("rounds_per_job must be >= 1 (got " + roundsPerJob + ")");
        if (master == null || master.isBlank()) p.add("master must be a Spark master URL such as local[*] (got '" + master + "')");
        if (lrSchedule == null) p.add("lr_schedule must be cosine or constant");
        if (entropyRegMode == null) p.add("entropy_reg_mode must be global or local");
        if (exchangeHost != null && (exchangeHost.isBlank() || !exchangeHost.strip().equals(exchangeHost)))
            p.add("exchange_host must be a host name or address that executors can reach, or null for spark.driver.host (got '"
                    + exchangeHost + "')");
        if (exchangePort < 0 || exchangePort > 65535)
            p.add("exchange_port must be in [0, 65535], 0 = any free port (got " + exchangePort + ")");
        else if (exchangePort == 65535 && entropyRegMode == EntropyRegMode.GLOBAL)
            p.add("exchange_port 65535 leaves no port for the global regulariser's all-reduce, which listens on "
                    + "exchange_port + 1: choose a port below 65535, or 0 for any");
        return p;
    }

    public TrainConfig validate() {
        List<String> p = problems();
        if (!p.isEmpty()) throw new IllegalArgumentException("invalid training configuration: " + String.join("; ", p));
        return this;
    }
}
