package sigmoe.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's directory on any Hadoop FileSystem:
 * <pre>
 *   config.conf                      the resolved configuration
 *   metrics.jsonl                    one JSON object per logged round
 *   checkpoints/step-00000100/       model.safetensors + state-slice-K.safetensors (complete ones only)
 * </pre>
 * Every file is written under a temporary name and renamed when complete; a checkpoint directory is assembled
 * under {@code .tmp-step-N} and renamed, so a crash never leaves a partial checkpoint under a final name.
 */
public final class RunDirectory {
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    private final Path root;
    private final FileSystem fs;

    public RunDirectory(String uri) throws IOException {
        this.root = new Path(uri);
        this.fs = root.getFileSystem(new Configuration());
        fs.mkdirs(new Path(root, "checkpoints"));
    }

    public String uri() { return fs.makeQualified(root).toString(); }

    public String file(String name) { return new Path(root, name).toString(); }

    /** Writes a whole file atomically (temporary name, then rename over the old one). */
    public void writeAtomically(String name, byte[] data) throws IOException {
        Path dst = new Path(root, name), tmp = new Path(root, "." + name + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) { out.write(data); }
        if (fs.exists(dst)) fs.delete(dst, false);
        if (!fs.rename(tmp, dst)) throw new IOException("could not rename " + tmp + " to " + dst);
    }

    public String readString(String name) throws IOException {
        Path p = new Path(root, name);
        if (!fs.exists(p)) return null;
        try (InputStream in = fs.open(p)) { return new String(in.readAllBytes(), StandardCharsets.UTF_8); }
    }

    /** The temporary directory a checkpoint at {@code step} is written into before {@link #commitCheckpoint}. */
    public String beginCheckpoint(long step) throws IOException {
        Path tmp = new Path(root, "checkpoints/.tmp-" + stepName(step));
        if (fs.exists(tmp)) fs.delete(tmp, true);
        fs.mkdirs(tmp);
        return tmp.toString();
    }

    /** Renames the finished temporary checkpoint to its final name; returns the final directory. */
    public String commitCheckpoint(long step) throws IOException {
        Path tmp = new Path(root, "checkpoints/.tmp-" + stepName(step)), dst = new Path(root, "checkpoints/" + stepName(step));
        if (fs.exists(dst)) fs.delete(dst, true);
        if (!fs.rename(tmp, dst)) throw new IOException("could not rename checkpoint " + tmp + " to " + dst);
        return dst.toString();
    }

    /** Complete checkpoints, oldest first. */
    public List<Long> checkpointSteps() throws IOException {
        List<Long> steps = new ArrayList<>();
        Path dir = new Path(root, "checkpoints");
        if (!fs.exists(dir)) return steps;
        for (FileStatus s : fs.listStatus(dir)) {
            Matcher m = STEP_DIR.matcher(s.getPath().getName());
            if (s.isDirectory() && m.matches()) steps.add(Long.parseLong(m.group(1)));
        }
        steps.sort(null);
        return steps;
    }

    public String checkpointDir(long step) { return new Path(root, "checkpoints/" + stepName(step)).toString(); }

    /** Keeps the newest {@code keep} checkpoints. */
    public void pruneCheckpoints(int keep) throws IOException {
        List<Long> s = checkpointSteps();
        for (int i = 0; i < s.size() - keep; i++) fs.delete(new Path(checkpointDir(s.get(i))), true);
    }

    static String stepName(long step) { return String.format("step-%08d", step); }
}
