package sigmoe.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code sigmoe} command line: a thin dispatcher to subcommands (prepare; train, eval, ... join here).
 * Exit codes: 0 success, 1 failure (bad data, I/O), 2 usage error (unknown, missing or invalid options).
 * Errors are one paragraph on stderr without a stack trace; unexpected exceptions (bugs) keep theirs.
 */
@Command(name = "sigmoe", mixinStandardHelpOptions = true, version = "sigmoe 0.1.0",
        description = {"Sparse sigma-MoE Transformer-XL language models on Apache Spark.",
                "Every subcommand also takes --conf spark.KEY=VALUE (repeatable), passed to Spark as spark-submit does."},
        subcommands = {PrepareCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class,
                ReportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line with the given output streams; returns the exit code (for tests and embedding). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            // --conf KEY=VALUE (any subcommand, repeatable): a Spark setting, as spark-submit takes it. SparkConf reads
            // spark.* system properties, so the setting reaches every context the command starts.
            if (args[i].equals("--conf") || args[i].startsWith("--conf=")) {
                String kv = args[i].equals("--conf") ? (i + 1 < args.length ? args[++i] : "") : args[i].substring(7);
                int eq = kv.indexOf('=');
                if (eq <= 0 || !kv.startsWith("spark.")) {
                    err.println("sigmoe: --conf needs KEY=VALUE with a spark.* key, e.g. --conf spark.executor.memory=8g (got '"
                            + kv + "') (see 'sigmoe --help')");
                    err.flush();
                    return EXIT_USAGE;
                }
                System.setProperty(kv.substring(0, eq), kv.substring(eq + 1));
            } else {
                rest.add(args[i]);
            }
        }
        args = rest.toArray(new String[0]);
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> usageError(ex.getCommandLine(), ex.getMessage()));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UserError u) {
                if (u.usage()) return usageError(commandLine, ex.getMessage());
                commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": error: " + ex.getMessage());
                commandLine.getErr().flush();
                return EXIT_FAILURE;
            }
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": unexpected failure: " + ex);
            ex.printStackTrace(commandLine.getErr());
            commandLine.getErr().flush();
            return EXIT_FAILURE;
        });
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    private static int usageError(CommandLine cl, String message) {
        String name = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(name + ": " + message + " (see '" + name + " --help')");
        cl.getErr().flush();
        return EXIT_USAGE;
    }

    /** An error to report as one paragraph: {@code usage} ones exit 2, the others 1. */
    public static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final boolean usage;

        public UserError(String message, boolean usage, Throwable cause) {
            super(message, cause);
            this.usage = usage;
        }

        public boolean usage() {
            return usage;
        }
    }
}
