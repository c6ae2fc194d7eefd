package sigmoe.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sigmoe.config.ConfigException;
import sigmoe.config.RunConfig;
import sigmoe.spark.SparkTrainer;
import sigmoe.train.Trainer;

/** {@code sigmoe train CONFIG [key=value ...]}: trains on Spark (local by default) and prints a JSON summary last. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a Transformer-XL language model (dense or sigma-MoE) with parameter averaging on Spark.",
                "CONFIG is a file in conf/ (name or path); key=value arguments override its keys (e.g. model.top_k=2 "
                + "train.steps=500). The last output line is a JSON object: run_dir, step, train_loss, valid_loss, checkpoint."})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "run configuration (conf/NAME.conf or a path)")
    String config;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "configuration overrides")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--master", paramLabel = "M", description = "Spark master (default: train.master of the configuration)")
    String master;

    @Option(names = "--resume", description = "continue from the newest complete checkpoint in train.run_dir")
    boolean resume;

    @Option(names = "--single-process", description = "train without Spark (one replica over all streams)")
    boolean singleProcess;

    @Override
    public Integer call() {
        List<String> o = new ArrayList<>(overrides);
        if (resume) o.add("train.resume=true");
        RunConfig rc;
        try {
            rc = RunConfig.load(List.of(config), o);
        } catch (ConfigException e) {
            throw new Main.UserError(readable(e.getMessage()), true, e);
        }
        PrintStream out = new PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true, StandardCharsets.UTF_8);
        if (System.getenv(SparkContexts.BLAS_SPIN_ENV) == null)
            spec.commandLine().getErr().println("note: " + SparkContexts.BLAS_SPIN_ENV + " is not set in this JVM's "
                    + "environment: idle OpenBLAS threads will spin after each GEMM and slow CPU training; export "
                    + SparkContexts.BLAS_SPIN_ENV + "=" + SparkContexts.BLAS_SPIN_DEFAULT + " (jobs/*.sh do)");
        try {
            Trainer.Summary s;
            if (singleProcess) {
                s = Trainer.run(rc, out);
            } else {
                String m = master != null ? master : rc.train().master();
                String from = master != null ? "--master " + m : "train.master = " + m;
                if (!SparkContexts.isValidMaster(m))
                    throw new Main.UserError(from + ": not a Spark master URL (local[N], local[*], spark://HOST:PORT, "
                            + "yarn, k8s://..., local-cluster[W,C,MB])", true, null);
                // Corpus, configuration and checkpoint are checked before Spark starts: bad input fails in seconds.
                SparkTrainer.Plan plan = SparkTrainer.plan(rc, out);
                JavaSparkContext sc;
                try {
                    sc = SparkContexts.startForTraining(m, "sigmoe train " + config, rc.train().workers());
                } catch (Exception e) { // SparkException is checked in Scala's eyes only
                    throw new Main.UserError(from + ": cannot start Spark: " + e.getMessage(), true, e);
                }
                try {
                    s = SparkTrainer.run(plan, sc, out);
                } finally {
                    sc.stop();
                }
            }
            try {
                sigmoe.data.Corpus c = sigmoe.data.Corpus.open(rc.train().data());
                out.printf("validation loss %.4f nats against the train split's unigram entropy %.4f nats%n", s.validLoss(),
                        sigmoe.eval.Unigram.entropy(c.split("train", false), c.vocabSize()));
            } catch (IOException e) {
                out.println("(unigram entropy not computed: " + e.getMessage() + ")");
            }
            out.println(s.toJson());
            out.flush();
            return Main.EXIT_OK;
        } catch (ConfigException | IllegalArgumentException e) {
            throw new Main.UserError(readable(e.getMessage()), true, e);
        } catch (IOException | Trainer.NumericalFault e) {
            throw new Main.UserError(readable(e.getMessage()), false, e);
        } catch (RuntimeException e) {
            // A Spark job that failed for good (a task's retries exhausted) carries the task's exception as a cause.
            Throwable known = knownCause(e);
            if (known == null) throw e;
            throw new Main.UserError("a Spark task failed: " + readable(known.getMessage()), known instanceof ConfigException, e);
        }
    }

    private static final java.util.regex.Pattern CLASS_PREFIX =
            java.util.regex.Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error): ");

    /**
     * A message for people: library messages sometimes embed a wrapped exception as "java.io.IOException: ..."; the
     * class name says nothing to a user, the text after it does.
     */
    static String readable(String message) {
        return message == null ? "(no message)" : CLASS_PREFIX.matcher(message).replaceAll("").replace('\n', ' ');
    }

    /** The first user-facing exception (bad data or configuration, numerical fault) in a cause chain, or null. */
    static Throwable knownCause(Throwable e) {
        for (Throwable c = e; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof Main.UserError) return null;
            if (c instanceof ConfigException || c instanceof IOException || c instanceof Trainer.NumericalFault) return c;
        }
        return null;
    }

    /** Bridges picocli's PrintWriter to the trainer's PrintStream. */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final java.io.PrintWriter w;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        WriterOutputStream(java.io.PrintWriter w) { this.w = w; }

        @Override public void write(int b) {
            line.write(b);
            if (b == '\n') flush();
        }

        @Override public void flush() {
            w.print(line.toString(StandardCharsets.UTF_8));
            w.flush();
            line.reset();
        }
    }
}
