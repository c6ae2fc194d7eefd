package sigmoe.report;

import java.util.List;
import java.util.Locale;

/**
 * report.html: one self-contained page (inline CSS, no script, nothing fetched from the network) with the run's
 * description, key configuration values, a summary table and every chart as an {@code <img>} of a PNG beside it.
 * The text depends only on its inputs (no timestamp), so the same run gives the same page.
 */
public final class ReportHtml {
    static final String NONE = "—";
    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:960px;padding:0 1em;color:#222}
            h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
            .desc{font-size:1.1em;color:#444}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
            table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .8em;border-bottom:1px solid #eee;text-align:left}
            td.num{text-align:right;font-variant-numeric:tabular-nums}thead th{border-bottom:2px solid #ccc}
            figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
            pre{background:#f7f7f7;padding:1em;overflow-x:auto}nav li{margin:.1em 0}
            """;

    private ReportHtml() {}

    /**
     * @param runDir the run directory as the user named it (shown, not linked)
     * @param config what config.conf says
     * @param s      the summary numbers
     * @param charts the charts, in page order; their files lie beside report.html
     */
    public static String render(String runDir, RunConfigView config, Summary s, List<ChartFile> charts) {
        StringBuilder b = new StringBuilder(8192);
        String title = config.description().isBlank() ? "sigmoe run report" : "sigmoe run report: " + config.description();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>Run report</h1>\n");
        if (!config.description().isBlank()) b.append("<p class=\"desc\">").append(esc(config.description())).append("</p>\n");
        b.append("<p>Run directory <code>").append(esc(runDir)).append("</code>: ").append(s.rounds())
                .append(s.rounds() == 1 ? " logged round" : " logged rounds").append(" in metrics.jsonl.</p>\n");

        summary(b, s);
        configuration(b, config);

        b.append("<h2 id=\"charts\">Charts</h2>\n");
        if (charts.isEmpty()) b.append("<p>No chart: the metrics have no finite values to plot.</p>\n");
        else {
            b.append("<nav><ul>\n");
            for (ChartFile c : charts)
                b.append("<li><a href=\"#").append(anchor(c)).append("\">").append(esc(c.title())).append("</a></li>\n");
            b.append("</ul></nav>\n");
        }
        for (ChartFile c : charts) {
            b.append("<figure id=\"").append(anchor(c)).append("\">\n<h3>").append(esc(c.title())).append("</h3>\n")
                    .append("<img src=\"").append(esc(c.fileName())).append("\" width=\"").append(c.width())
                    .append("\" height=\"").append(c.height()).append("\" alt=\"").append(esc(c.alt())).append("\">\n")
                    .append("</figure>\n");
        }
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private static void summary(StringBuilder b, Summary s) {
        b.append("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\">\n");
        row(b, "final step", Long.toString(s.finalStep()));
        row(b, "final train loss", loss(s.finalTrainLoss()));
        row(b, "best valid loss", Double.isNaN(s.bestValidLoss()) ? NONE : loss(s.bestValidLoss()) + " at step " + s.bestValidStep());
        row(b, "final valid loss", Double.isNaN(s.finalValidLoss()) ? NONE : loss(s.finalValidLoss()) + " at step " + s.finalValidStep());
        row(b, "mean throughput (tokens/s)", Double.isNaN(s.meanTokensPerS()) ? NONE : String.format(Locale.ROOT, "%,.0f", s.meanTokensPerS()));
        b.append("</table>\n");
        if (s.layers().isEmpty()) {
            b.append("<p>Dense model: no σ-MoE layers, so no expert statistics.</p>\n");
            return;
        }
        b.append("<h3>σ-MoE layers, last round</h3>\n<table class=\"layers\">\n<thead><tr><th>layer</th><th>experts</th>")
                .append("<th>dead-expert fraction</th><th>usage relative perplexity</th></tr></thead>\n<tbody>\n");
        for (Summary.LayerSummary l : s.layers()) {
            b.append("<tr><td class=\"num\">").append(l.layer()).append("</td><td class=\"num\">").append(l.nExperts())
                    .append("</td><td class=\"num\">").append(num(l.deadFraction(), "%.3f"))
                    .append("</td><td class=\"num\">").append(num(l.usageRelPerplexity(), "%.3f")).append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n");
    }

    private static void configuration(StringBuilder b, RunConfigView c) {
        b.append("<h2 id=\"config\">Configuration</h2>\n");
        if (!c.present()) {
            b.append("<p>The run directory has no config.conf.</p>\n");
            return;
        }
        if (!c.keyValues().isEmpty()) {
            b.append("<table class=\"config\">\n");
            for (RunConfigView.KeyValue kv : c.keyValues())
                b.append("<tr><th><code>").append(esc(kv.key())).append("</code></th><td><code>").append(esc(kv.value()))
                        .append("</code></td></tr>\n");
            b.append("</table>\n");
        }
        b.append("<details><summary>config.conf</summary>\n<pre>").append(esc(c.text())).append("</pre>\n</details>\n");
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append("<tr><th>").append(esc(k)).append("</th><td class=\"num\">").append(esc(v)).append("</td></tr>\n");
    }

    /** A loss with its perplexity, the number language-modelling results are usually quoted in. */
    static String loss(double l) {
        if (!Double.isFinite(l)) return String.valueOf(l);
        return String.format(Locale.ROOT, "%.4f (perplexity %.2f)", l, Math.exp(l));
    }

    private static String num(double v, String fmt) {
        return Double.isNaN(v) ? NONE : String.format(Locale.ROOT, fmt, v);
    }

    private static String anchor(ChartFile c) {
        String f = c.fileName();
        return "chart-" + (f.endsWith(".png") ? f.substring(0, f.length() - 4) : f);
    }

    /** HTML text and attribute escaping. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
