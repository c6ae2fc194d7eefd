package sigmoe.data;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Hadoop FileSystem access shared by the prepare job and the reader: any URI Hadoop knows (file:, hdfs:, s3a:,
 * plain paths against fs.defaultFS).
 */
public final class HadoopFs {
    private HadoopFs() {}

    /**
     * The file system of a path. For local paths the raw file system: the checksummed LocalFileSystem would
     * write a hidden ".name.crc" beside every file we write, which does not belong in a prepared corpus.
     */
    public static FileSystem of(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        return fs instanceof LocalFileSystem l ? l.getRaw() : fs;
    }

    /** The fully qualified form of a user-given URI or path (scheme and authority filled in). */
    public static Path qualify(String uri, Configuration conf) throws IOException {
        if (uri == null || uri.isBlank()) throw new IllegalArgumentException("empty path");
        Path p = new Path(uri);
        return of(p, conf).makeQualified(p);
    }

    /** The local file behind a path, or null when the path is on a remote file system. */
    public static File localFile(FileSystem fs, Path p) {
        return fs instanceof RawLocalFileSystem raw ? raw.pathToFile(p) : null;
    }

    /**
     * Reads a small file fully, refusing files above {@code limit} bytes before allocating anything: a manifest
     * or vocabulary of absurd size is corrupt, not something to load.
     */
    public static byte[] readSmall(FileSystem fs, Path p, long limit) throws IOException {
        FileStatus st = fs.getFileStatus(p);
        long len = st.getLen();
        if (len > limit) {
            throw CorpusFormatException.mismatch(p.toString(), "file size", "at most " + limit + " bytes",
                    len + " bytes", null);
        }
        byte[] b = new byte[(int) len];
        try (FSDataInputStream in = fs.open(p)) {
            in.readFully(0, b);
        }
        return b;
    }

    /**
     * The files an input URI names, in a deterministic order: a file; a directory (its visible files, sorted
     * by name; names starting with '.' or '_' are skipped as Hadoop does); or a glob (its matches, sorted).
     */
    public static List<FileStatus> listInputs(String uri, Configuration conf) throws IOException {
        Path p = qualify(uri, conf);
        FileSystem fs = of(p, conf);
        FileStatus[] matches = fs.globStatus(p);
        if (matches == null || matches.length == 0) throw new FileNotFoundException(uri + ": no such file or directory");
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus m : matches) {
            if (m.isDirectory()) {
                for (FileStatus c : fs.listStatus(m.getPath())) {
                    String n = c.getPath().getName();
                    if (c.isFile() && !n.startsWith(".") && !n.startsWith("_")) files.add(c);
                }
            } else if (m.isFile()) {
                files.add(m);
            }
        }
        files.sort(Comparator.comparing(s -> s.getPath().toString()));
        if (files.isEmpty()) throw new FileNotFoundException(uri + ": no input files (empty directory)");
        return files;
    }

    /** Skips exactly n bytes or fails: InputStream.skip may skip fewer. */
    static void skipFully(InputStream in, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new IOException("unexpected end of file");
            n -= r;
        }
    }
}
