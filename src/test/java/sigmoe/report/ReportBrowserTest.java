package sigmoe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a generated report in headless Chromium and checks that every image really loaded (naturalWidth > 0), as a
 * reader's browser would. The page itself has no script: the test writes a copy beside it with a small probe that
 * lists each image's load state once the page's load event has fired, and reads it back with --dump-dom.
 * Skipped when no Chromium is installed (CI installs Debian's chromium package).
 */
class ReportBrowserTest {
    /** Browser executables tried in PATH order; SIGMOE_CHROMIUM overrides. */
    static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
    static final String MISSING = "no-such-chart.png";
    static final String PROBE = "<img src=\"" + MISSING + "\" alt=\"control: must fail to load\">\n<script>\n"
            + "window.addEventListener('load', function () {\n"
            + "  var out = [];\n"
            + "  for (var i = 0; i < document.images.length; i++) {\n"
            + "    var im = document.images[i];\n"
            + "    out.push(im.getAttribute('src') + ' ' + im.complete + ' ' + im.naturalWidth + 'x' + im.naturalHeight);\n"
            + "  }\n"
            + "  var pre = document.createElement('pre');\n"
            + "  pre.id = 'probe';\n"
            + "  pre.textContent = out.join('\\n');\n"
            + "  document.body.appendChild(pre);\n"
            + "});\n</script>\n";

    @TempDir
    Path tmp;

    @Test
    void everyImageLoadsInChromium() throws Exception {
        String chromium = findChromium();
        Assumptions.assumeTrue(chromium != null, "Chromium not found (tried $SIGMOE_CHROMIUM, " + NAMES + " in PATH): "
                + "skipping the browser check; install it with 'apt-get install -y chromium'");
        Path run = RunFixtures.moeRun(tmp.resolve("run"), 12, 1, 4, false);
        RunReport.Result r = RunReport.write(run.toString());
        Path html = Path.of(r.html());
        Path probe = html.resolveSibling("probe.html"); // beside report.html so the relative src paths resolve alike
        Files.writeString(probe, Files.readString(html).replace("</body>", PROBE + "</body>"));

        Map<String, String> loaded = load(chromium, probe);
        List<String> expected = new ArrayList<>();
        for (ChartFile c : r.charts()) expected.add(c.fileName());
        expected.add(MISSING);
        assertEquals(expected, new ArrayList<>(loaded.keySet()), "the images the browser saw, in page order");
        for (ChartFile c : r.charts())
            assertEquals("true " + c.width() + "x" + c.height(), loaded.get(c.fileName()), c.fileName() + " did not load");
        // the control proves the probe can see a failure: a missing file is complete (errored) with no pixels
        assertEquals("true 0x0", loaded.get(MISSING));
    }

    /** src → "complete WxH" for each img, from the probe's output in the DOM Chromium dumps after loading. */
    static Map<String, String> load(String chromium, Path page) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("sigmoe-chromium-");
        try {
            ProcessBuilder pb = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--user-data-dir=" + profile,
                    // virtual time runs until the page is idle: the load event and the probe have happened by then
                    "--virtual-time-budget=10000", "--dump-dom", page.toUri().toString());
            Path log = profile.resolve("stderr.txt");
            pb.redirectError(log.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("chromium did not finish in 60 s");
            }
            String dom = new String(out, StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("<pre id=\"probe\">([^<]*)</pre>").matcher(dom);
            assertTrue(m.find(), "no probe output in chromium's DOM (exit " + p.exitValue() + "); stderr:\n"
                    + tail(Files.readString(log)) + "\nDOM:\n" + tail(dom));
            Map<String, String> byName = new LinkedHashMap<>();
            for (String line : m.group(1).split("\n")) {
                int sp = line.indexOf(' ');
                byName.put(line.substring(0, sp), line.substring(sp + 1));
            }
            return byName;
        } finally {
            deleteTree(profile.toFile());
        }
    }

    static String findChromium() {
        String env = System.getenv("SIGMOE_CHROMIUM");
        if (env != null && !env.isBlank()) return new File(env).canExecute() ? env : null;
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String name : NAMES)
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, name);
                if (f.isFile() && f.canExecute()) return f.getPath();
            }
        return null;
    }

    private static String tail(String s) {
        return s.length() <= 3000 ? s : "..." + s.substring(s.length() - 3000);
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) for (File c : children) deleteTree(c);
        f.delete();
    }
}
