package sigmoe.report;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** XChart plumbing shared by the report's charts: one look for all of them, line charts from series, PNG encoding. */
final class Plots {
    static {
        // Charts are drawn off-screen. Set before any AWT class is initialised (java.awt.Color's static block
        // already asks GraphicsEnvironment whether it is headless, and the answer is cached); RunReport sets it too.
        System.setProperty("java.awt.headless", "true");
    }

    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final int LINE_W = 800, LINE_H = 420;
    /** Series with at most this many points get markers: sparse curves (validation) stay visible as dots. */
    static final int MARKER_MAX_POINTS = 40;
    static final Color[] SERIES_COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    private Plots() {}

    /** One named curve; points with a non-finite x or y are left out. */
    record Series(String name, double[] x, double[] y) {}

    /** Styling every chart shares; Locale.ROOT so numbers look the same on every machine. */
    static void style(Styler s) {
        s.setLocale(Locale.ROOT);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setChartTitleVisible(false); // the page's heading is the title; the PNG stays free of duplicated text
        s.setBaseFont(FONT);
        s.setLegendBorderColor(new Color(0xcccccc));
        s.setAntiAlias(true);
    }

    /**
     * A line chart of the given series, or null when no series has a finite point (the report then has no such
     * chart rather than an empty one).
     */
    static XYChart lines(String xTitle, String yTitle, List<Series> series) {
        List<Series> kept = new ArrayList<>();
        for (Series s : series) {
            Series f = finite(s);
            if (f.x().length > 0) kept.add(f);
        }
        if (kept.isEmpty()) return null;
        XYChart c = new XYChart(LINE_W, LINE_H);
        c.setXAxisTitle(xTitle);
        c.setYAxisTitle(yTitle);
        style(c.getStyler());
        c.getStyler().setSeriesColors(SERIES_COLORS);
        // below the plot: inside it would hide curves that run along the top (timings, throughput)
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setxAxisTickLabelsFormattingFunction(Plots::compact);
        c.getStyler().setLegendVisible(series.size() > 1);
        for (Series s : kept) {
            XYSeries xy = c.addSeries(s.name(), s.x(), s.y());
            xy.setMarker(s.x().length <= MARKER_MAX_POINTS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        return c;
    }

    /**
     * Axis numbers as people write them: 614400 as "614k", 1.2e6 as "1.2M"; whole numbers below 10000 in full
     * (steps), fractions to three significant digits. XChart's default turns large token counts into "3.1744E5".
     */
    static String compact(Double v) {
        double a = Math.abs(v);
        if (a >= 1e9) return trim(v / 1e9) + "G";
        if (a >= 1e6) return trim(v / 1e6) + "M";
        if (a >= 1e4) return trim(v / 1e3) + "k";
        return v == Math.rint(v) ? Long.toString((long) (double) v) : trim(v);
    }

    /** Up to three significant digits, no trailing zeros, Locale.ROOT. */
    private static String trim(double v) {
        String s = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        return s.equals("-0") ? "0" : s;
    }

    static Series finite(Series s) {
        int n = 0;
        for (int i = 0; i < s.x().length; i++) if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) n++;
        double[] x = new double[n], y = new double[n];
        for (int i = 0, j = 0; i < s.x().length; i++) {
            if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                x[j] = s.x()[i];
                y[j++] = s.y()[i];
            }
        }
        return new Series(s.name(), x, y);
    }

    static RenderedChart png(Chart<?, ?> chart, String fileName, String title, String alt) {
        try {
            byte[] b = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            return new RenderedChart(new ChartFile(fileName, title, alt, chart.getWidth(), chart.getHeight()), b);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding " + fileName, e);
        }
    }
}
