package sigmoe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on synthetic run directories: files written, PNGs valid and sized, page and files agree. */
class RunReportTest {
    @TempDir
    static Path tmp;
    static Path moe;
    static RunReport.Result moeResult;

    @BeforeAll
    static void writeMoeReport() throws IOException {
        moe = RunFixtures.moeRun(tmp.resolve("moe"), 30, 2, 8, false);
        moeResult = RunReport.write(moe.toString());
    }

    @Test
    void moeRunHasEveryChartAsAValidPngOfTheStatedSize() throws IOException {
        Path dir = moe.resolve("report");
        assertEquals(dir.resolve("report.html").toString(), moeResult.html());
        Set<String> expected = Set.of("loss-vs-step.png", "loss-vs-tokens.png", "expert-load-layer-0.png",
                "expert-load-layer-2.png", "expert-load-sorted-layer-0.png", "expert-load-sorted-layer-2.png",
                "experts-dead-fraction.png", "experts-usage-perplexity.png", "throughput.png", "grad-norm.png",
                "learning-rate.png", "entropy-reg.png");
        assertEquals(new TreeSet<>(expected), ReportFiles.pngs(dir));
        for (ChartFile c : moeResult.charts()) {
            Path p = dir.resolve(c.fileName());
            assertTrue(Files.size(p) > 1000, c.fileName() + " is suspiciously small");
            BufferedImage img = ImageIO.read(p.toFile());
            assertEquals(c.width(), img.getWidth(), c.fileName());
            assertEquals(c.height(), img.getHeight(), c.fileName());
            int[] size = c.fileName().startsWith("expert-load-layer") ? new int[] {ExpertCharts.HEAT_W, ExpertCharts.HEAT_H}
                    : c.fileName().startsWith("expert-load-sorted") ? new int[] {ExpertCharts.BARS_W, ExpertCharts.BARS_H}
                    : new int[] {Plots.LINE_W, Plots.LINE_H};
            assertEquals(size[0], img.getWidth(), c.fileName());
            assertEquals(size[1], img.getHeight(), c.fileName());
            assertTrue(distinctColours(img) > 3, c.fileName() + " looks blank");
        }
        try (Stream<Path> s = Files.list(moe)) {
            assertEquals(Set.of("config.conf", "metrics.jsonl", "report"),
                    s.map(p -> p.getFileName().toString()).collect(Collectors.toSet()), "no temporary directory left behind");
        }
    }

    @Test
    void pageReferencesExactlyTheChartsThatExist() throws IOException {
        Path dir = moe.resolve("report");
        String html = Files.readString(dir.resolve("report.html"));
        List<ReportFiles.Img> imgs = ReportFiles.images(html);
        assertEquals(ReportFiles.pngs(dir), imgs.stream().map(ReportFiles.Img::src).collect(Collectors.toCollection(TreeSet::new)));
        assertEquals(imgs.size(), moeResult.charts().size(), "each chart once");
        for (ReportFiles.Img i : imgs) {
            assertTrue(i.alt() != null && i.alt().length() > 40, "alt text for " + i.src());
            ChartFile c = moeResult.charts().stream().filter(f -> f.fileName().equals(i.src())).findFirst().orElseThrow();
            assertEquals(c.width(), i.width());
            assertEquals(c.height(), i.height());
        }
        // self-contained: no network resources, no scripts; the description is escaped
        assertFalse(html.contains("http:") || html.contains("https:") || html.contains("//cdn"), "external reference");
        assertFalse(html.contains("<script"));
        assertTrue(html.contains("tiny sigma-MoE &lt;test&gt; &amp; co"));
        assertTrue(html.contains("<code>model.n_experts</code></th><td><code>8</code>"));
        assertFalse(html.contains("model.d_ff"), "d_ff is not a σ-MoE run's key value");
        assertTrue(html.contains("final step</th><td class=\"num\">300<"));
        Summary s = moeResult.summary();
        assertTrue(html.contains(ReportHtml.loss(s.bestValidLoss()) + " at step " + s.bestValidStep()));
        assertEquals(2, s.layers().size());
        assertTrue(html.contains("<tr><td class=\"num\">2</td><td class=\"num\">8</td><td class=\"num\">0.125</td>"),
                "layer 2's final dead fraction (expert 7 dead since round 11)");
    }

    @Test
    void denseRunHasNoExpertCharts() throws IOException {
        Path run = RunFixtures.denseRun(tmp.resolve("dense"), 12);
        RunReport.Result r = RunReport.write(run.toString());
        Set<String> files = ReportFiles.pngs(run.resolve("report"));
        assertEquals(new TreeSet<>(Set.of("loss-vs-step.png", "loss-vs-tokens.png", "throughput.png", "grad-norm.png",
                "learning-rate.png")), files, "no heatmaps, sorted loads, expert curves or (all-zero) regulariser");
        String html = Files.readString(Path.of(r.html()));
        assertEquals(files, ReportFiles.images(html).stream().map(ReportFiles.Img::src).collect(Collectors.toCollection(TreeSet::new)));
        assertTrue(html.contains("Dense model: no σ-MoE layers"));
        assertFalse(html.contains("model.n_experts"));
        assertTrue(html.contains("<code>model.d_ff</code>"));
    }

    @Test
    void sparkFieldsArePlottedWhenPresent() throws IOException {
        Path run = RunFixtures.moeRun(tmp.resolve("spark"), 8, 1, 4, true);
        Files.writeString(run.resolve("metrics.jsonl"), Files.readString(run.resolve("metrics.jsonl"))
                .replace("\"rebuilds\"", "\"queue.depth\":2,\"rebuilds\""));
        Files.delete(run.resolve("config.conf"));
        RunReport.Result r = RunReport.write(run.toString());
        Set<String> files = ReportFiles.pngs(run.resolve("report"));
        assertTrue(files.containsAll(Set.of("round-timing.png", "round-events.png", "metric-queue-depth.png")), files.toString());
        assertFalse(files.contains("grad-norm.png") || files.contains("learning-rate.png"), "fields the Spark trainer does not write");
        ChartFile timing = r.charts().stream().filter(c -> c.fileName().equals("round-timing.png")).findFirst().orElseThrow();
        assertTrue(timing.alt().contains("round_s, broadcast_s, compute_s, comm_s"), timing.alt());
        assertTrue(Files.readString(Path.of(r.html())).contains("The run directory has no config.conf."));
    }

    @Test
    void longRunsAreBinnedInTheHeatmap() {
        RunMetrics m = new RunMetrics(MetricsParser.parse(RunFixtures.metrics(ExpertCharts.MAX_COLUMNS * 2 + 1, 1, 4, false), "m"));
        RenderedChart c = ExpertCharts.heatmap(0, m.layer(0));
        assertTrue(c.file().alt().contains("in bins of 3"), c.file().alt());
        assertTrue(c.png().length > 1000);
    }

    @Test
    void rerunReplacesTheOldReport() throws IOException {
        Path run = RunFixtures.denseRun(tmp.resolve("rerun"), 5);
        RunReport.write(run.toString());
        Files.writeString(run.resolve("report/stale.png"), "old");
        RunReport.write(run.toString());
        assertFalse(Files.exists(run.resolve("report/stale.png")));
        assertTrue(Files.exists(run.resolve("report/report.html")));
    }

    @Test
    void errorsNameTheProblem() throws IOException {
        ReportException e = assertThrows(ReportException.class, () -> RunReport.write(tmp.resolve("nope").toString()));
        assertTrue(e.getMessage().contains("nope: no such run directory"), e.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(ReportException.class, () -> RunReport.write(empty.toString()));
        assertTrue(e.getMessage().startsWith(empty.resolve("metrics.jsonl") + " does not exist"), e.getMessage());

        Path bad = RunFixtures.denseRun(tmp.resolve("bad"), 4);
        RunReport.write(bad.toString());
        String old = Files.readString(bad.resolve("report/report.html"));
        Files.writeString(bad.resolve("metrics.jsonl"), Files.readString(bad.resolve("metrics.jsonl")) + "{\"step\":50,\"loss\":oops}\n");
        e = assertThrows(ReportException.class, () -> RunReport.write(bad.toString()));
        assertTrue(e.getMessage().startsWith(bad.resolve("metrics.jsonl") + " line 5: not valid JSON"), e.getMessage());
        assertEquals(old, Files.readString(bad.resolve("report/report.html")), "a failed run leaves the old report alone");

        Files.writeString(bad.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":2}\n");
        Files.writeString(bad.resolve("config.conf"), "model { d_model = ");
        e = assertThrows(ReportException.class, () -> RunReport.write(bad.toString()));
        assertTrue(e.getMessage().startsWith(bad.resolve("config.conf") + " is not valid HOCON"), e.getMessage());
    }

    private static int distinctColours(BufferedImage img) {
        Set<Integer> s = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7)
            for (int x = 0; x < img.getWidth(); x += 7) s.add(img.getRGB(x, y));
        return s.size();
    }
}
