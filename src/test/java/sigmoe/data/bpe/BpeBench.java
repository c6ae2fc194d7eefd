package sigmoe.data.bpe;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;

import sigmoe.cli.SparkContexts;
import sigmoe.data.PrepareJob;
import sigmoe.data.PrepareOptions;
import sigmoe.data.PrepareResult;
import sigmoe.data.UnitCounts;

/**
 * Benchmark (not a unit test; run by bench/bpe-bench.sh): {@code prepare --tokenizer bpe} on one corpus per
 * Spark master, split into its stages by the Spark jobs' descriptions (a listener records job start and end):
 * counting the train pre-tokens (executors), learning the merges (driver: the gap between the count job and the
 * encode job), encoding all splits (executors), and shard assembly. A single-threaded run of the trainer and the
 * encoder without Spark is the reference point.
 *
 * <pre>BpeBench CORPUS OUT_DIR REPORT.md VOCAB_SIZE MASTER...</pre>
 */
public final class BpeBench {
    private static final int REPS = 2;

    /** Start and end times of the jobs of each description. */
    static final class Jobs extends SparkListener {
        final Map<Integer, String> description = new ConcurrentHashMap<>();
        final Map<String, long[]> span = new ConcurrentHashMap<>(); // {first start, last end, running}

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            String d = String.valueOf(e.properties().getProperty("spark.job.description"));
            description.put(e.jobId(), d);
            span.compute(d, (k, v) -> v == null ? new long[] {e.time(), 0, 1} : new long[] {v[0], v[1], v[2] + 1});
        }

        @Override
        public void onJobEnd(SparkListenerJobEnd e) {
            span.computeIfPresent(description.get(e.jobId()), (k, v) -> new long[] {v[0], Math.max(v[1], e.time()), v[2] - 1});
        }

        long[] get(String prefix) throws InterruptedException {
            for (int wait = 0; wait < 100; wait++) { // the listener bus is asynchronous
                for (Map.Entry<String, long[]> e : span.entrySet()) {
                    if (e.getKey().startsWith(prefix) && e.getValue()[2] == 0) return e.getValue();
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("no finished job \"" + prefix + "\"; seen " + span.keySet());
        }
    }

    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args[0]), work = Path.of(args[1]), report = Path.of(args[2]);
        int vocab = Integer.parseInt(args[3]);
        byte[] text = Files.readAllBytes(corpus);
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '\n') {
                lines.add(new String(text, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < text.length) lines.add(new String(text, start, text.length - start, StandardCharsets.UTF_8));
        int trainLines = (int) Math.floor(lines.size() * 0.9);
        long trainBytes = 0;
        for (int i = 0; i < trainLines; i++) trainBytes += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;

        // single-threaded, no Spark: count, learn, encode; best of REPS after a warm-up run
        double countS = Double.MAX_VALUE, learnS = Double.MAX_VALUE, encodeS = Double.MAX_VALUE;
        BpeModel model = null;
        long[] tokens = {0};
        for (int rep = 0; rep <= REPS; rep++) {
            long t0 = System.nanoTime();
            UnitCounts counts = new UnitCounts();
            BpeTokenizer tok = new BpeTokenizer(vocab);
            for (int i = 0; i < trainLines; i++) tok.count(lines.get(i), counts);
            double c = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            model = BpeTrainer.train(counts, vocab);
            double l = (System.nanoTime() - t0) / 1e9;
            BpeEncoder enc = new BpeEncoder(model, vocab); // a fresh cache, as on a fresh executor
            tokens[0] = 0;
            t0 = System.nanoTime();
            for (String line : lines) enc.encode(line, id -> tokens[0]++);
            double e = (System.nanoTime() - t0) / 1e9;
            if (rep > 0) {
                countS = Math.min(countS, c);
                learnS = Math.min(learnS, l);
                encodeS = Math.min(encodeS, e);
            }
        }

        List<String> rows = new ArrayList<>();
        rows.add(String.format(Locale.ROOT, "| 1 thread, no Spark | %.2f s (%.1f MB/s) | %.2f s | %.2f s (%.1f MB/s) | %.2f s (%.1f MB/s) | – | – |",
                countS, trainBytes / countS / 1e6, learnS, countS + learnS, trainBytes / (countS + learnS) / 1e6,
                encodeS, text.length / encodeS / 1e6));
        System.err.println(rows.get(0));
        PrepareResult last = null;
        for (int m = 4; m < args.length; m++) {
            String master = args[m];
            JavaSparkContext jsc = SparkContexts.start(master, "sigmoe-bpe-bench");
            try {
                double[] best = null;
                for (int rep = 0; rep <= REPS; rep++) { // rep 0 warms up the JVM
                    Jobs jobs = new Jobs();
                    jsc.sc().addSparkListener(jobs);
                    long s0 = System.nanoTime();
                    last = PrepareJob.run(jsc, new PrepareOptions().tokenizer("bpe").vocabSize(vocab).input(corpus.toString())
                            .output(work.resolve("sotu-bpe").toString()).overwrite(true));
                    double total = (System.nanoTime() - s0) / 1e9;
                    long[] count = jobs.get("prepare: count train units"), encode = jobs.get("prepare: encode"),
                            shards = jobs.get("prepare: write shards");
                    jsc.sc().removeSparkListener(jobs);
                    double[] t = {total, (count[1] - count[0]) / 1e3, (encode[0] - count[1]) / 1e3,
                            (encode[1] - encode[0]) / 1e3, (shards[1] - shards[0]) / 1e3};
                    if (rep > 0 && (best == null || t[0] < best[0])) best = t;
                }
                rows.add(String.format(Locale.ROOT, "| prepare %s | %.2f s (%.1f MB/s) | %.2f s | %.2f s (%.1f MB/s) | %.2f s (%.1f MB/s) | %.2f s | %.2f s (%.1f MB/s) |",
                        master, best[1], trainBytes / best[1] / 1e6, best[2], best[1] + best[2],
                        trainBytes / (best[1] + best[2]) / 1e6, best[3], text.length / best[3] / 1e6, best[4], best[0],
                        text.length / best[0] / 1e6));
                System.err.println(rows.get(rows.size() - 1));
            } finally {
                jsc.stop();
            }
        }
        String table = String.join("\n", List.of(
                "# BPE benchmark",
                "",
                String.format(Locale.ROOT, "%s: %,d bytes, %,d lines (train: first %,d lines, %,d bytes); vocabulary %,d "
                        + "(%,d merges); %,d tokens in all splits (%.2f bytes/token). %d cores, Java %s; prepare rows: "
                        + "best of %d runs after a warm-up run.", corpus.getFileName(), text.length, lines.size(), trainLines,
                        trainBytes, model.size(), model.merges(), tokens[0], text.length / (double) tokens[0],
                        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), REPS),
                "",
                "Training = counting the train pre-tokens (executors, tree-reduce) + learning the merges (driver); "
                        + "MB/s over the train bytes. Encoding MB/s over all bytes (train, valid, test).",
                "",
                "| run | count pre-tokens | learn merges | training | encode | shards | prepare total |",
                "|---|---|---|---|---|---|---|")) + "\n" + String.join("\n", rows) + "\n";
        if (last != null) table += "\n```\n" + last.report() + "```\n";
        Files.createDirectories(report.getParent());
        Files.writeString(report, table);
        System.out.print(table);
    }
}
