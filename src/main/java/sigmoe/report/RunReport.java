package sigmoe.report;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import sigmoe.data.HadoopFs;

/**
 * {@code sigmoe report}: reads a run directory's metrics.jsonl and config.conf (any Hadoop FileSystem URI) and
 * writes {@code report/} inside it: report.html and the PNG charts it shows. The directory is assembled under a
 * temporary name and renamed when complete, so a reader never sees half a report; an older report is replaced.
 */
public final class RunReport {
    public static final String METRICS = "metrics.jsonl", CONFIG = "config.conf", DIR = "report", HTML = "report.html";
    /** metrics.jsonl is one line per logged round; anything this large is not one. */
    static final long MAX_METRICS_BYTES = 1L << 30;
    static final long MAX_CONFIG_BYTES = 16L << 20;

    static {
        System.setProperty("java.awt.headless", "true"); // before any chart class touches AWT
    }

    private RunReport() {}

    /**
     * @param html    where report.html was written: a local path for local runs, else the full URI
     * @param charts  the charts it shows, in page order
     * @param summary the summary table's numbers
     */
    public record Result(String html, List<ChartFile> charts, Summary summary) {}

    /** Writes RUN_DIR/report/; throws {@link ReportException} for a missing run directory or bad metrics. */
    public static Result write(String runDir) throws IOException {
        Configuration conf = new Configuration();
        Path root;
        try {
            root = HadoopFs.qualify(runDir, conf);
        } catch (IllegalArgumentException e) {
            throw new ReportException("run directory '" + runDir + "' is not a valid path or URI: " + e.getMessage(), e);
        }
        FileSystem fs = HadoopFs.of(root, conf);
        if (!fs.exists(root)) throw new ReportException(runDir + ": no such run directory");
        if (!fs.getFileStatus(root).isDirectory())
            throw new ReportException(runDir + " is a file; give the run directory (the one holding metrics.jsonl and config.conf)");

        Path metricsPath = new Path(root, METRICS);
        if (!fs.exists(metricsPath))
            throw new ReportException(display(fs, metricsPath) + " does not exist: " + runDir + " is not a run directory, or its run "
                    + "has not logged a round yet (the trainer writes metrics.jsonl every train.log_interval steps)");
        RunMetrics metrics = new RunMetrics(MetricsParser.parse(read(fs, metricsPath, MAX_METRICS_BYTES), display(fs, metricsPath)));
        Path configPath = new Path(root, CONFIG);
        RunConfigView config = fs.exists(configPath)
                ? RunConfigView.parse(read(fs, configPath, MAX_CONFIG_BYTES), display(fs, configPath)) : RunConfigView.absent();

        List<RenderedChart> rendered = ReportCharts.render(metrics);
        List<ChartFile> charts = new ArrayList<>();
        for (RenderedChart r : rendered) charts.add(r.file());
        Summary summary = metrics.summary();
        String html = ReportHtml.render(display(fs, root), config, summary, charts);

        Path tmp = new Path(root, "." + DIR + ".tmp-" + UUID.randomUUID());
        Path dst = new Path(root, DIR);
        try {
            if (!fs.mkdirs(tmp)) throw new IOException("cannot create " + tmp);
            for (RenderedChart r : rendered) writeFile(fs, new Path(tmp, r.file().fileName()), r.png());
            writeFile(fs, new Path(tmp, HTML), html.getBytes(StandardCharsets.UTF_8));
            if (fs.exists(dst) && !fs.delete(dst, true)) throw new IOException("cannot remove the old report " + dst);
            if (!fs.rename(tmp, dst)) throw new IOException("cannot rename " + tmp + " to " + dst);
        } finally {
            if (fs.exists(tmp)) fs.delete(tmp, true);
        }
        return new Result(display(fs, new Path(dst, HTML)), List.copyOf(charts), summary);
    }

    /** A path as the user would type it: the local file name for local runs, else the full URI. */
    static String display(FileSystem fs, Path p) {
        File local = HadoopFs.localFile(fs, p);
        return local != null ? local.getPath() : p.toString();
    }

    private static String read(FileSystem fs, Path p, long limit) throws IOException {
        FileStatus st = fs.getFileStatus(p);
        if (st.isDirectory()) throw new ReportException(display(fs, p) + " is a directory, expected a file");
        if (st.getLen() > limit) throw new ReportException(display(fs, p) + " is " + st.getLen() + " bytes, more than the " + limit + " a report reads");
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void writeFile(FileSystem fs, Path p, byte[] data) throws IOException {
        try (OutputStream out = fs.create(p, true)) {
            out.write(data);
        }
    }
}
