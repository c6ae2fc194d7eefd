package sigmoe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sigmoe.report.ReportException;
import sigmoe.report.RunReport;

/** {@code sigmoe report RUN_DIR}: an HTML page with PNG charts of a training run, written to RUN_DIR/report/. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Writes RUN_DIR/report/report.html and its PNG charts from the run's metrics.jsonl and config.conf: "
                + "loss against steps and tokens, per sigma-MoE layer the expert load over rounds (heatmap) and the last "
                + "round's load sorted, dead-expert fraction, usage relative perplexity, throughput, and the Spark "
                + "trainer's round timings when present. RUN_DIR may be any Hadoop FileSystem URI. "
                + "Prints the path of report.html."})
public final class ReportCommand implements Callable<Integer> {
    static {
        System.setProperty("java.awt.headless", "true"); // charts are drawn without a display
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "the training run's directory (train.run_dir)")
    String runDir;

    @Override
    public Integer call() {
        RunReport.Result r;
        try {
            r = RunReport.write(runDir);
        } catch (ReportException e) {
            throw new Main.UserError(e.getMessage(), false, e);
        } catch (IOException e) {
            throw new Main.UserError(runDir + ": " + e.getMessage(), false, e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("report: " + r.charts().size() + " charts, final step " + r.summary().finalStep());
        out.println(r.html());
        out.flush();
        return Main.EXIT_OK;
    }
}
