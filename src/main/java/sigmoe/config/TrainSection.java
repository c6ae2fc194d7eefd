package sigmoe.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sigmoe.train.TrainConfig;
import sigmoe.train.TrainConfig.EntropyRegMode;
import sigmoe.train.TrainConfig.LrSchedule;

/** The {@code train} section ↔ {@link TrainConfig}; key meanings in conf/README.md. */
final class TrainSection {
    static final List<String> KEYS = List.of("seed", "batch_size", "segment_length", "mem_segments", "steps", "lr",
            "lr_schedule", "warmup", "adam_beta1", "adam_beta2", "adam_eps", "grad_clip", "log_interval",
            "eval_interval", "eval_batches", "eval_mem_segments", "eval_batch", "checkpoint_interval", "data", "run_dir",
            "resume", "workers", "averaging_frequency", "average_optimizer_state", "rounds_per_job", "entropy_reg_mode",
            "master", "exchange_host", "exchange_port");

    private TrainSection() {}

    static TrainConfig read(Section s) {
        List<String> schedules = new ArrayList<>();
        for (LrSchedule l : LrSchedule.values()) schedules.add(l.id);
        List<String> modes = new ArrayList<>();
        for (EntropyRegMode m : EntropyRegMode.values()) modes.add(m.id);
        String schedule = s.getChoice("lr_schedule", schedules);
        String mode = s.getChoice("entropy_reg_mode", modes);
        if (s.isNull("data"))
            throw new ConfigException("train.data is not set; it names the prepared corpus directory, any Hadoop "
                    + "FileSystem URI (e.g. train.data=data/wt103 or train.data=hdfs:///corpora/wt103)");
        return new TrainConfig(
                s.getLong("seed"), s.getInt("batch_size"), s.getInt("segment_length"), s.getInt("mem_segments"),
                s.getLong("steps"), s.getDouble("lr"), LrSchedule.values()[schedules.indexOf(schedule)],
                s.getLong("warmup"), s.getDouble("adam_beta1"), s.getDouble("adam_beta2"), s.getDouble("adam_eps"),
                s.getDouble("grad_clip"), s.getLong("log_interval"), s.getLong("eval_interval"),
                s.getLong("eval_batches"), s.getInt("eval_mem_segments"), s.getInt("eval_batch"),
                s.getLong("checkpoint_interval"), s.getString("data"), s.getString("run_dir"), s.getBoolean("resume"),
                s.getInt("workers"), s.getInt("averaging_frequency"), s.getBoolean("average_optimizer_state"),
                s.getInt("rounds_per_job"), EntropyRegMode.values()[modes.indexOf(mode)], s.getString("master"),
                s.isNull("exchange_host") ? null : s.getString("exchange_host"), s.getInt("exchange_port"));
    }

    static List<String> problems(TrainConfig t) {
        List<String> out = new ArrayList<>();
        for (String p : t.problems()) out.add("train." + p);
        return out;
    }

    static Map<String, Object> render(TrainConfig t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", t.seed());
        m.put("batch_size", t.batchSize());
        m.put("segment_length", t.segmentLength());
        m.put("mem_segments", t.memSegments());
        m.put("steps", t.steps());
        m.put("lr", t.lr());
        m.put("lr_schedule", t.lrSchedule().id);
        m.put("warmup", t.warmup());
        m.put("adam_beta1", t.adamBeta1());
        m.put("adam_beta2", t.adamBeta2());
        m.put("adam_eps", t.adamEps());
        m.put("grad_clip", t.gradClip());
        m.put("log_interval", t.logInterval());
        m.put("eval_interval", t.evalInterval());
        m.put("eval_batches", t.evalBatches());
        m.put("eval_mem_segments", t.evalMemSegments());
        m.put("eval_batch", t.evalBatch());
        m.put("checkpoint_interval", t.checkpointInterval());
        m.put("data", t.data());
        m.put("run_dir", t.runDir());
        m.put("resume", t.resume());
        m.put("workers", t.workers());
        m.put("averaging_frequency", t.averagingFrequency());
        m.put("average_optimizer_state", t.averageOptimizerState());
        m.put("rounds_per_job", t.roundsPerJob());
        m.put("entropy_reg_mode", t.entropyRegMode().id);
        m.put("master", t.master());
        m.put("exchange_host", t.exchangeHost());
        m.put("exchange_port", t.exchangePort());
        return m;
    }
}
