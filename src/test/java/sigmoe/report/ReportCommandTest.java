package sigmoe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.cli.Main;

/** {@code sigmoe report}: exit codes, the path printed last, one-paragraph errors. */
class ReportCommandTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    static Run sigmoe(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void printsThePathOfReportHtmlLast() throws Exception {
        Path run = RunFixtures.denseRun(tmp.resolve("run"), 3);
        Run r = sigmoe("report", run.toString());
        assertEquals(Main.EXIT_OK, r.rc(), r.err());
        String[] lines = r.out().strip().split("\n");
        Path html = run.resolve("report").resolve("report.html");
        assertEquals(html.toString(), lines[lines.length - 1]);
        assertTrue(Files.size(html) > 0);
    }

    @Test
    void errorsAreOneParagraphWithTheRightExitCode() throws Exception {
        Run missing = sigmoe("report", tmp.resolve("nope").toString());
        assertEquals(Main.EXIT_FAILURE, missing.rc());
        assertEquals("sigmoe report: error: " + tmp.resolve("nope") + ": no such run directory", missing.err().strip());

        Path run = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":2}\n{\"step\":2}\n");
        Run bad = sigmoe("report", run.toString());
        assertEquals(Main.EXIT_FAILURE, bad.rc());
        assertEquals("sigmoe report: error: " + run.resolve("metrics.jsonl") + " line 2: missing the number \"loss\"", bad.err().strip());

        Run usage = sigmoe("report");
        assertEquals(Main.EXIT_USAGE, usage.rc());
        assertTrue(usage.err().contains("RUN_DIR"), usage.err());
    }
}
