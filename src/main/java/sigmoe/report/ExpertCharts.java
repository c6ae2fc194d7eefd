package sigmoe.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The σ-MoE charts: per layer, the expert load over rounds (heatmap) and the last round's load sorted descending
 * (the paper's Fig. 3); over all layers, the dead-expert fraction and the usage relative perplexity per round.
 */
final class ExpertCharts {
    static final int HEAT_W = 900, HEAT_H = 460, BARS_W = 800, BARS_H = 400;
    /**
     * Most heatmap columns: longer runs are binned into runs of consecutive rounds whose counts are summed (counts
     * are additive, so a column is the share over its whole bin); a cell stays at least a few pixels wide.
     */
    static final int MAX_COLUMNS = 150;
    /** A sequential colour scale (dark blue, teal, green, yellow): "more load" reads as "brighter". */
    static final Color[] SCALE = {new Color(0x440154), new Color(0x3b528b), new Color(0x21918c), new Color(0x5ec962),
            new Color(0xfde725)};

    private ExpertCharts() {}

    static String heatmapFile(int layer) {
        return "expert-load-layer-" + layer + ".png";
    }

    static String sortedFile(int layer) {
        return "expert-load-sorted-layer-" + layer + ".png";
    }

    /**
     * Expert load of one layer over rounds: x = round (or bin of rounds), y = expert, colour = share of the
     * selections in that round. The colour scale spans 0 to the largest share seen in this layer.
     */
    static RenderedChart heatmap(int layer, List<RunMetrics.LayerRound> rounds) {
        int nExperts = rounds.get(0).load().nExperts();
        int bin = (rounds.size() + MAX_COLUMNS - 1) / MAX_COLUMNS;
        int cols = (rounds.size() + bin - 1) / bin;
        List<Long> xLabels = new ArrayList<>();
        List<Integer> yLabels = new ArrayList<>();
        for (int e = 0; e < nExperts; e++) yLabels.add(e);
        List<Number[]> cells = new ArrayList<>();
        double max = 0;
        for (int c = 0; c < cols; c++) {
            long[] sum = new long[nExperts];
            int end = Math.min(rounds.size(), (c + 1) * bin);
            for (int i = c * bin; i < end; i++) {
                long[] k = rounds.get(i).load().counts();
                for (int e = 0; e < nExperts; e++) sum[e] += k[e];
            }
            xLabels.add(rounds.get(end - 1).round());
            double[] share = LayerLoad.of(layer, sum, Double.NaN, Double.NaN, Double.NaN, Double.NaN).shares();
            for (int e = 0; e < nExperts; e++) {
                cells.add(new Number[] {c, e, share[e]});
                max = Math.max(max, share[e]);
            }
        }
        // with an explicit theme: HeatMapStyler's plain constructor leaves its fonts and locale unset (XChart 3.8/4.0)
        HeatMapChart chart = new HeatMapChart(HEAT_W, HEAT_H, Styler.ChartTheme.XChart);
        chart.setXAxisTitle(bin == 1 ? "round" : "round (last of each bin of " + bin + " rounds)");
        chart.setYAxisTitle("expert");
        Plots.style(chart.getStyler());
        chart.getStyler().setRangeColors(SCALE);
        chart.getStyler().setMin(0);
        // the colour legend prints its end values unformatted: a short number reads better than 0.27968960863697706
        chart.getStyler().setMax(max > 0 ? roundUp(max) : 1);
        chart.getStyler().setShowValue(false);
        chart.getStyler().setDrawBorder(false);
        chart.getStyler().setPlotContentSize(1.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        // Anti-aliased cell edges let a quarter of the plot background through: a mid-scale background keeps those
        // seams invisible, where white would draw a light line between every pair of columns.
        chart.getStyler().setPlotBackgroundColor(SCALE[2]);
        chart.getStyler().setPlotGridLinesVisible(false);
        chart.getStyler().setXAxisMaxLabelCount(16);
        chart.addSeries("share of selections", xLabels, yLabels, cells);
        String title = "Layer " + layer + ": expert load over rounds";
        String alt = "Heatmap of layer " + layer + "'s expert load: rounds " + rounds.get(0).round() + " to "
                + rounds.get(rounds.size() - 1).round() + " on the x axis" + (bin == 1 ? "" : " in bins of " + bin)
                + ", the " + nExperts + " experts on the y axis, colour = each expert's share of the round's selections "
                + "from 0 (dark) to " + fmt(roundUp(max)) + " (bright); a uniform load is " + fmt(1.0 / nExperts) + ".";
        return Plots.png(chart, heatmapFile(layer), title, alt);
    }

    /** The last round's load of one layer, experts sorted by share, descending, with the uniform share for scale. */
    static RenderedChart sortedLoad(int layer, RunMetrics.LayerRound last) {
        double[] share = last.load().shares();
        double[] sorted = share.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        List<Integer> rank = new ArrayList<>();
        List<Double> desc = new ArrayList<>(), uniform = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rank.add(i + 1);
            desc.add(sorted[n - 1 - i]);
            uniform.add(1.0 / n);
        }
        CategoryChart chart = new CategoryChart(BARS_W, BARS_H);
        chart.setXAxisTitle("experts, sorted by load (rank)");
        chart.setYAxisTitle("share of selections");
        Plots.style(chart.getStyler());
        chart.getStyler().setSeriesColors(new Color[] {Plots.SERIES_COLORS[0], Color.GRAY});
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setAvailableSpaceFill(0.85);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisMaxLabelCount(16);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("0.00#");
        chart.addSeries("round " + last.round() + " (step " + last.step() + ")", rank, desc);
        CategorySeries u = chart.addSeries("uniform 1/" + n, rank, uniform);
        u.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        u.setMarker(SeriesMarkers.NONE);
        String title = "Layer " + layer + ": expert load in the last round, sorted";
        String alt = "Bar chart of layer " + layer + "'s " + n + " experts sorted by their share of the selections in round "
                + last.round() + " (step " + last.step() + "), largest first: from " + fmt(desc.get(0)) + " down to "
                + fmt(desc.get(n - 1)) + "; a grey line marks the uniform share " + fmt(1.0 / n) + ".";
        return Plots.png(chart, sortedFile(layer), title, alt);
    }

    /** One curve per layer of a per-round layer statistic; null when no layer has a finite value. */
    static XYChart perLayer(RunMetrics m, String yTitle, java.util.function.ToDoubleFunction<LayerLoad> value) {
        List<Plots.Series> series = new ArrayList<>();
        for (int layer : m.moeLayers()) {
            List<RunMetrics.LayerRound> lr = m.layer(layer);
            double[] x = new double[lr.size()], y = new double[lr.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = lr.get(i).round();
                y[i] = value.applyAsDouble(lr.get(i).load());
            }
            series.add(new Plots.Series("layer " + layer, x, y));
        }
        XYChart c = Plots.lines("round", yTitle, series);
        if (c != null) c.getStyler().setLegendVisible(true);
        return c;
    }

    /** v rounded up to two significant digits (0.2797 → 0.28), as the colour scale's upper end. */
    static double roundUp(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(2, java.math.RoundingMode.CEILING)).doubleValue();
    }

    static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.3g", v);
    }
}
