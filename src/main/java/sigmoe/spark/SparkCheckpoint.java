package sigmoe.spark;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import sigmoe.config.ConfigException;
import sigmoe.config.RunConfig;
import sigmoe.model.Checkpoint;
import sigmoe.model.CheckpointState;
import sigmoe.model.ModelConfig;
import sigmoe.model.SafetensorsException;
import sigmoe.model.TransformerXL;
import sigmoe.train.Trainer;

/**
 * A Spark run's checkpoint on the driver's side: the averaged model and Adam moments it writes beside the slices' own
 * state files, and the checks of a checkpoint to resume from before any executor needs it.
 */
final class SparkCheckpoint {
    private SparkCheckpoint() {}

    /** The averaged model and moments; the slices wrote their own state files (cursor, RNG, XL memory) beside it. */
    static void writeShared(TransformerXL model, RunConfig rc, ModelConfig mc, RoundState s, String dir, int workers) throws IOException {
        Checkpoint.save(model.params, mc, s.step(), Trainer.checkpointMetadata(rc.train().segmentLength(), workers),
                dir + "/model.safetensors");
        new CheckpointState().putFloats("adam.m", s.m()).putFloats("adam.v", s.v()).setLong("adam.step", s.adamStep())
                .setLong("step", s.step()).write(dir + "/state-shared.safetensors");
    }

    /**
     * Reads the averaged state of a checkpoint and checks every slice's state file before any executor needs it, so a
     * missing or corrupt file fails the run on the driver, naming the file, instead of failing tasks.
     */
    static RoundState readState(String dir, TransformerXL model, long step, int workers) throws IOException {
        Checkpoint ck = Checkpoint.load(dir + "/model.safetensors");
        String slices = ck.metadata().get("slices");
        if (slices == null || !slices.equals(Integer.toString(workers)))
            throw new ConfigException(dir + "/model.safetensors: written with " + (slices == null ? "an unknown number of" : slices)
                    + " slices (__metadata__.slices) but train.workers=" + workers + ": the slices' stream cursors and XL "
                    + "memory cannot be redistributed; resume with train.workers=" + slices);
        ck.loadInto(model.params);
        String shared = dir + "/state-shared.safetensors";
        if (!new Path(shared).getFileSystem(new Configuration()).exists(new Path(shared)))
            throw new java.io.FileNotFoundException(shared + ": missing; a checkpoint of the single-process trainer is resumed "
                    + "with --single-process, any other checkpoint without it is incomplete");
        CheckpointState s = CheckpointState.read(shared);
        RoundState state = new RoundState(step, s.getLong("adam.step"), RoundState.copyOf(model.params.values()), s.floats("adam.m"),
                s.floats("adam.v"));
        int n = (int) model.params.size();
        if (state.m().length != n || state.v().length != n)
            throw new SafetensorsException(shared + ": adam.m / adam.v hold " + state.m().length + " / " + state.v().length
                    + " values, the model has " + n + " parameters");
        for (int w = 0; w < workers; w++) {
            CheckpointState sl = CheckpointState.read(dir + "/state-slice-" + w + ".safetensors");
            if (sl.getLong("step") != step)
                throw new SafetensorsException(dir + "/state-slice-" + w + ".safetensors: __metadata__.step is "
                        + sl.getLong("step") + ", the checkpoint's step is " + step);
        }
        return state;
    }

    /** Temporary files of failed task attempts (Safetensors' ".NAME.tmp-*") in a checkpoint being assembled. */
    static void removeTemporaries(String dir) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(new Configuration());
        for (FileStatus f : fs.listStatus(d)) if (f.getPath().getName().startsWith(".")) fs.delete(f.getPath(), true);
    }

    static void deleteQuietly(String dir) {
        try {
            Path d = new Path(dir);
            d.getFileSystem(new Configuration()).delete(d, true);
        } catch (IOException e) {
            // best effort: a temporary checkpoint directory is never read, and the next attempt at that step replaces it
        }
    }
}
