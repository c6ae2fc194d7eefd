package sigmoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;

import sigmoe.cli.SparkContexts;

/**
 * Benchmark (not a unit test; run by bench/prepare-bench.sh): prepare throughput next to the time to merely
 * read the same bytes in the same JVM, through java.nio and through the Hadoop FileSystem the job reads with.
 *
 * <pre>PrepareBench MASTER OUT_DIR REPORT.md NAME=FILE:TOKENIZER[:min-count=N | :split-bytes=A,B,C] ...</pre>
 */
public final class PrepareBench {
    private static final int REPS = 3;

    public static void main(String[] args) throws Exception {
        String master = args[0];
        Path work = Path.of(args[1]);
        Path report = Path.of(args[2]);
        JavaSparkContext jsc = SparkContexts.start(master, "sigmoe-prepare-bench");
        List<String> rows = new ArrayList<>();
        try {
            for (int i = 3; i < args.length; i++) {
                String[] spec = args[i].split("[=:]", 4);
                String name = spec[0], tokenizer = spec[2];
                Path file = Path.of(spec[1]);
                long bytes = Files.size(file);
                double nio = best(() -> readNio(file));
                double hadoop = best(() -> readHadoop(file));
                PrepareResult[] last = new PrepareResult[1];
                double prep = best(() -> {
                    PrepareOptions o = new PrepareOptions().tokenizer(tokenizer).input(file.toString())
                            .output(work.resolve(name).toString()).overwrite(true);
                    String extra = spec.length > 3 ? spec[3] : "";
                    if (extra.startsWith("min-count=")) o.minCount(Integer.parseInt(extra.substring(10)));
                    if (extra.startsWith("split-bytes=")) {
                        o.splitBytes(Arrays.stream(extra.substring(12).split(",")).mapToLong(Long::parseLong).toArray());
                    }
                    last[0] = PrepareJob.run(jsc, o);
                });
                PrepareResult r = last[0];
                long tokens = r.tokens()[0] + r.tokens()[1] + r.tokens()[2];
                // MB/s of prepare over the bytes it used (a --split-bytes run may leave a tail unread)
                long used = r.inputBytes();
                rows.add(String.format(Locale.ROOT, "| %s | %s | %.1f | %,d | %,d | %.0f | %.0f | %.2f s | %.1f | %.0fx |",
                        name, tokenizer, used / 1e6, tokens, r.vocabSize(), bytes / nio / 1e6, bytes / hadoop / 1e6,
                        prep, used / prep / 1e6, prep / (hadoop * used / bytes)));
                System.err.println(rows.get(rows.size() - 1));
            }
        } finally {
            jsc.stop();
        }
        String table = String.join("\n", List.of(
                "# prepare benchmark",
                "",
                String.format(Locale.ROOT, "master %s, %d cores, Java %s, best of %d runs after a warm-up run; "
                        + "read = the same bytes read in the same JVM", master, Runtime.getRuntime().availableProcessors(),
                        System.getProperty("java.version"), REPS),
                "",
                "| corpus | tokenizer | MB | tokens | vocab | read nio MB/s | read Hadoop FS MB/s | prepare | prepare MB/s | prepare / read |",
                "|---|---|---|---|---|---|---|---|---|---|")) + "\n" + String.join("\n", rows) + "\n";
        Files.createDirectories(report.getParent());
        Files.writeString(report, table);
        System.out.print(table);
    }

    interface Run {
        void run() throws Exception;
    }

    /** Best wall time in seconds of REPS runs after one warm-up run. */
    private static double best(Run r) throws Exception {
        r.run();
        double[] t = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            long t0 = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        return Arrays.stream(t).min().orElseThrow();
    }

    private static long sink;

    private static void readNio(Path f) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            while (ch.read(buf) > 0) {
                buf.flip();
                sink += buf.get(0);
                buf.clear();
            }
        }
    }

    private static void readHadoop(Path f) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.toUri());
        FileSystem fs = HadoopFs.of(p, new Configuration());
        byte[] buf = new byte[1 << 16];
        try (InputStream in = fs.open(p)) {
            for (int n; (n = in.read(buf)) > 0; ) sink += buf[0];
        }
    }
}
