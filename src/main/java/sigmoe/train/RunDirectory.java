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
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * A run's directory on any Hadoop FileSystem:
 * <pre>
 *   config.conf                      the resolved configuration
 *   metrics.jsonl                    one JSON object per logged round
 *   checkpoints/step-00000100/       model.safetensors + state-slice-K.safetensors (complete ones only)
 * </pre>
 * Every file is written under a temporary name and renamed when complete; a checkpoint directory is assembled
 * under {@code .tmp-step-N} and renamed, so a crash never leaves a partial checkpoint under a final name. A file is
 * replaced by one rename with overwrite (never delete-then-rename, which a kill in between would turn into a lost
 * file); pruning first renames a checkpoint to {@code .trash-step-N}, so a kill during the recursive delete leaves no
 * half-deleted directory under a final name (the next prune removes the leftovers).
 */
public final class RunDirectory {
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    private final Path root;
    private final FileSystem fs;
    private final Configuration conf;

    public RunDirectory(String uri) throws IOException {
        this.root = new Path(uri);
        this.conf = new Configuration();
        this.fs = root.getFileSystem(conf);
        fs.mkdirs(new Path(root, "checkpoints"));
    }

    public String uri() { return fs.makeQualified(root).toString(); }

    public String file(String name) { return new Path(root, name).toString(); }

    /** Writes a whole file atomically (temporary name, then rename over the old one). */
    public void writeAtomically(String name, byte[] data) throws IOException {
        Path dst = new Path(root, name), tmp = new Path(root, "." + name + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) { out.write(data); }
        replace(tmp, dst);
    }

    /**
     * Renames {@code src} over {@code dst}. FileContext's overwriting rename is one atomic rename on local file
     * systems and HDFS; where a file system lacks it, the old {@code dst} is first moved aside (to {@code .old-NAME}),
     * so at every instant either the old or the new version exists under a name a reader can find.
     */
    private void replace(Path src, Path dst) throws IOException {
        try {
            FileContext.getFileContext(fs.makeQualified(root).toUri(), conf).rename(src, dst, Options.Rename.OVERWRITE);
            return;
        } catch (UnsupportedOperationException | org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            // fall through to the two-rename replacement
        }
        Path old = new Path(dst.getParent(), ".old-" + dst.getName());
        if (fs.exists(old)) fs.delete(old, true);
        if (fs.exists(dst) && !fs.rename(dst, old)) throw new IOException("could not move " + dst + " aside to " + old);
        if (!fs.rename(src, dst)) throw new IOException("could not rename " + src + " to " + dst);
        fs.delete(old, true);
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
        if (fs.exists(dst)) trash(dst);  // a re-run of the same step after a resume: the new one wins
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
        for (int i = 0; i < s.size() - keep; i++) trash(new Path(checkpointDir(s.get(i))));
        for (FileStatus f : fs.listStatus(new Path(root, "checkpoints")))   // leftovers of a kill mid-delete
            if (f.getPath().getName().startsWith(".trash-")) fs.delete(f.getPath(), true);
    }

    /** Takes a checkpoint out of the complete set in one rename, then deletes it. */
    private void trash(Path dir) throws IOException {
        Path t = new Path(dir.getParent(), ".trash-" + dir.getName());
        if (fs.exists(t)) fs.delete(t, true);
        if (!fs.rename(dir, t)) throw new IOException("could not move checkpoint " + dir + " to " + t + " for deletion");
        fs.delete(t, true);
    }

    static String stepName(long step) { return String.format("step-%08d", step); }
}
