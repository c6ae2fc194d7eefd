package sigmoe.data;

import java.io.IOException;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Atomic publication of an output directory: everything is written under a hidden temporary sibling
 * ({@code .NAME.tmp-UUID}, ignored by Hadoop input listings) that is renamed to NAME only when complete.
 * An existing NAME is replaced only with overwrite, and only when it looks like what we write (has the given
 * marker file) or is empty, so that a typo in --output cannot delete an unrelated directory.
 */
public final class OutputDir {
    private final FileSystem fs;
    private final Path target;
    private final Path tmp;
    private final String marker;
    private final boolean overwrite;

    private OutputDir(FileSystem fs, Path target, String marker, boolean overwrite) {
        this.fs = fs;
        this.target = target;
        this.marker = marker;
        this.overwrite = overwrite;
        this.tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    }

    /**
     * Checks that {@code uri} may be written and creates the temporary directory.
     *
     * @param marker a file every valid output has (e.g. manifest.json)
     */
    public static OutputDir create(String uri, Configuration conf, String marker, boolean overwrite) throws IOException {
        Path target = HadoopFs.qualify(uri, conf);
        if (target.getParent() == null) throw PrepareException.usage("--output " + uri + ": cannot write the root directory");
        OutputDir d = new OutputDir(HadoopFs.of(target, conf), target, marker, overwrite);
        d.checkReplaceable();
        if (!d.fs.mkdirs(d.tmp)) throw new IOException(d.tmp + ": cannot create directory");
        return d;
    }

    private void checkReplaceable() throws IOException {
        if (!fs.exists(target)) return;
        if (!overwrite) throw PrepareException.usage("--output " + target + " already exists; pass --overwrite to replace it");
        boolean ours = fs.isDirectory(target)
                && (fs.exists(new Path(target, marker)) || fs.listStatus(target).length == 0);
        if (!ours) {
            throw PrepareException.usage("--output " + target + " exists and is not a previous output (no " + marker
                    + "); refusing to replace it even with --overwrite");
        }
    }

    /** The temporary directory to write into. */
    public Path tmp() {
        return tmp;
    }

    public Path target() {
        return target;
    }

    public FileSystem fs() {
        return fs;
    }

    /** Publishes the temporary directory as the target (replacing an old one if allowed). */
    public void commit() throws IOException {
        Path old = null;
        if (fs.exists(target)) {
            checkReplaceable();
            old = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
            if (!fs.rename(target, old)) throw new IOException("cannot move the old " + target + " aside");
        }
        if (!fs.rename(tmp, target)) {
            if (old != null) fs.rename(old, target);
            throw new IOException("cannot rename " + tmp + " to " + target);
        }
        if (old != null) fs.delete(old, true);
    }

    /** Removes the temporary directory (after a failure); never throws. */
    public void abort() {
        try {
            fs.delete(tmp, true);
        } catch (IOException | RuntimeException ignored) {
            // best effort: the failure being reported matters more than a leftover hidden directory
        }
    }
}
