package sigmoe.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.eval.DistributedEvaluator;
import sigmoe.eval.EvalProgress;
import sigmoe.eval.EvalSpec;
import sigmoe.eval.Evaluator;
import sigmoe.eval.LoadedModel;
import sigmoe.eval.StreamRanges;
import sigmoe.model.ModelConfig;

/** {@code sigmoe eval}: loss, perplexity and bits per character of a checkpoint on a split (paper.md §6). */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates a model checkpoint on a split of a prepared corpus with the paper's protocol: the split "
                + "is cut into B contiguous streams of T-token segments, each processed in order with an XL memory of "
                + "M segments that starts empty; every target is scored once.",
                "Prints progress lines, then as the last line one JSON object: tokens, loss (nats/token), ppl, bpc, "
                + "and the settings used. With --distributed the streams are shared among Spark tasks; the numbers "
                + "are the same."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "model checkpoint (.safetensors)")
    String checkpoint;

    @Option(names = "--data", required = true, paramLabel = "URI", description = "the prepared corpus the model was trained on")
    String data;

    @Option(names = "--split", required = true, paramLabel = "NAME", description = "valid or test (or train)")
    String split;

    @Option(names = "--segment", paramLabel = "T", defaultValue = "0",
            description = "segment length; default: the checkpoint's segment_length metadata, else 256")
    int segment;

    @Option(names = "--mem-segments", paramLabel = "M", defaultValue = "4",
            description = "XL memory in segments (default ${DEFAULT-VALUE}, the paper's test setting)")
    int memSegments;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "4", description = "parallel streams (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--max-segments", paramLabel = "N", defaultValue = "0",
            description = "evaluate only the first N segments of every stream (default 0 = all)")
    long maxSegments;

    @Option(names = "--distributed", description = "share the streams among Spark tasks (one contiguous range each)")
    boolean distributed;

    @Option(names = "--master", paramLabel = "M", description = "Spark master for --distributed (default local[*], or spark-submit's)")
    String master;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
            description = "--distributed: Spark tasks, at most B (default 0 = the default parallelism)")
    int partitions;

    @Option(names = "--progress-interval", paramLabel = "S", defaultValue = "10",
            description = "least seconds between progress lines (default ${DEFAULT-VALUE})")
    double progressInterval;

    @Override
    public Integer call() {
        checkOptions();
        Configuration hadoop = new Configuration();
        LoadedModel m = load(checkpoint, hadoop);
        long step = m.checkpoint.step();
        Corpus corpus = corpus(data, hadoop);
        checkVocabulary(m, corpus);
        int t = segment(m, segment);
        if (!corpus.splitNames().contains(split))
            throw new Main.UserError("--split " + split + ": the corpus " + corpus.uri() + " has no such split (it has: "
                    + String.join(", ", corpus.splitNames()) + ")", true, null);
        TokenStream tokens;
        try {
            tokens = corpus.split(split, !distributed); // the distributed evaluator checks it on the driver itself
        } catch (IOException e) {
            throw new Main.UserError(e.getMessage(), false, e);
        }
        EvalSpec es = new EvalSpec(checkpoint, data, split, t, memSegments, batch, maxSegments);
        long perStream;
        try {
            perStream = es.segmentsPerStream(tokens);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--split " + split + ": " + e.getMessage(), true, e);
        }
        long total = es.tokens(tokens, 0, batch);
        PrintWriter out = spec.commandLine().getOut();
        ModelConfig mc = m.checkpoint.config();
        out.printf(Locale.ROOT, "eval: %s (step %d, %s, d_model %d, %d layers) on split %s of %s: %,d tokens | %d streams x %d "
                        + "segments x %d tokens = %,d scored | memory %d segments%n", checkpoint, m.checkpoint.step(),
                mc.ffn().id, mc.dModel(), mc.nLayers(), split, corpus.uri(), tokens.size(), batch, perStream, t, total,
                memSegments);
        out.flush();

        long start = System.nanoTime();
        Evaluator.Result r;
        int parts = 1;
        if (distributed) {
            m = null; // the tasks load their own copies; let the driver's go
            String ms = SparkContexts.master(master);
            JavaSparkContext jsc = spark(ms, "sigmoe eval");
            try {
                parts = StreamRanges.split(batch, partitions > 0 ? partitions : Math.max(1, jsc.defaultParallelism())).size();
                r = DistributedEvaluator.evaluate(jsc, es, parts, line -> { out.println(line); out.flush(); });
            } catch (IOException e) {
                throw new Main.UserError(e.getMessage(), false, e);
            } catch (Exception e) { // Spark's Scala code throws the checked SparkException undeclared
                if (e instanceof RuntimeException re) throw re;
                throw new Main.UserError("distributed evaluation failed on --master " + ms + ": " + rootMessage(e), false, e);
            } finally {
                jsc.stop();
            }
        } else {
            EvalProgress progress = new EvalProgress("segment", total, line -> { out.println(line); out.flush(); }, progressInterval);
            r = es.evaluate(m, tokens, 0, batch, progress::update);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println(json(es, step, parts, r, seconds));
        out.flush();
        return Main.EXIT_OK;
    }

    private void checkOptions() {
        if (segment < 0) throw new Main.UserError("--segment must be >= 1 (got " + segment + ")", true, null);
        if (memSegments < 0) throw new Main.UserError("--mem-segments must be >= 0 (got " + memSegments + ")", true, null);
        if (batch < 1) throw new Main.UserError("--batch must be >= 1 (got " + batch + ")", true, null);
        if (maxSegments < 0) throw new Main.UserError("--max-segments must be >= 0, 0 = all (got " + maxSegments + ")", true, null);
        if (partitions < 0) throw new Main.UserError("--partitions must be >= 0 (got " + partitions + ")", true, null);
        if (!(progressInterval >= 0)) throw new Main.UserError("--progress-interval must be >= 0 (got " + progressInterval + ")", true, null);
        if (!distributed && (master != null || partitions != 0))
            throw new Main.UserError((master != null ? "--master" : "--partitions") + " applies to distributed evaluation only; add --distributed", true, null);
    }

    private String json(EvalSpec es, long step, int parts, Evaluator.Result r, double seconds) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("checkpoint", checkpoint);
        o.put("step", step);
        o.put("data", data);
        o.put("split", split);
        o.put("segment", es.segment());
        o.put("mem_segments", es.memSegments());
        o.put("batch", es.batch());
        o.put("max_segments", es.maxSegments());
        o.put("distributed", distributed);
        if (distributed) o.put("partitions", parts);
        o.put("tokens", r.tokens());
        o.put("loss", r.loss());
        o.put("ppl", r.ppl());
        o.put("bpc", r.bpc());
        o.put("seconds", Math.round(seconds * 1000) / 1000.0);
        o.put("tokens_per_s", Math.round(r.tokens() / Math.max(1e-9, seconds)));
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The first line of the innermost message: a failed Spark task arrives as a SparkException whose message holds
     * the executor's exception and stack trace as text; the user needs only its first line.
     */
    static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        String m = c.getMessage() == null ? c.toString() : c.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    // ---- shared with GenerateCommand: loading a model and its corpus with one-paragraph errors ----

    /** Loads and checks a checkpoint; a missing or malformed file is a one-paragraph error (exit 1). */
    static LoadedModel load(String uri, Configuration conf) {
        try {
            return LoadedModel.load(uri, conf);
        } catch (java.io.FileNotFoundException e) {
            throw new Main.UserError("--checkpoint " + uri + ": no such file (give the model.safetensors of a checkpoint,"
                    + " e.g. RUN_DIR/checkpoints/step-N/model.safetensors)", false, e);
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UserError("--checkpoint " + uri + ": " + e.getMessage(), false, e);
        }
    }

    /** Opens a prepared corpus; a missing or malformed one is a one-paragraph error (exit 1). */
    static Corpus corpus(String uri, Configuration conf) {
        try {
            return Corpus.open(uri, conf);
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UserError("--data " + uri + ": " + e.getMessage(), false, e);
        }
    }

    /** A checkpoint and a corpus with different vocabularies cannot go together: a usage error (exit 2). */
    static void checkVocabulary(LoadedModel m, Corpus c) {
        String problem = m.vocabularyProblem(c);
        if (problem != null) throw new Main.UserError(problem, true, null);
    }

    /** The segment length: the option, the checkpoint's metadata, or the default. */
    static int segment(LoadedModel m, int option) {
        try {
            return m.segmentLength(option);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage(), true, e);
        }
    }

    static JavaSparkContext spark(String master, String app) {
        try {
            return SparkContexts.start(master, app);
        } catch (RuntimeException e) {
            throw new Main.UserError("--master " + master + ": cannot start Spark: " + e.getMessage(), true, e);
        }
    }
}
