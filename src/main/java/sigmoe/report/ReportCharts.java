package sigmoe.report;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;

/**
 * Which charts a run gets, in page order, each drawn only when the metrics have something to put in it: a dense
 * run has no expert charts, a run without validation no valid curve, and fields only the Spark trainer writes
 * (round_s, broadcast_s, rebuilds, ...) are plotted when present.
 */
public final class ReportCharts {
    /** Per-round event counts of the Spark trainer, plotted together. */
    static final List<String> EVENT_FIELDS = List.of("rebuilds", "skipped_steps");

    private ReportCharts() {}

    public static List<RenderedChart> render(RunMetrics m) {
        List<RenderedChart> out = new ArrayList<>();
        List<Round> rs = m.rounds();
        double[] step = col(rs, Round::step), round = col(rs, Round::round), tokens = m.cumulativeTokens();
        boolean valid = rs.stream().anyMatch(r -> Double.isFinite(r.validLoss()));
        String lossWhat = valid ? "training loss (blue) and validation loss (red)" : "training loss";

        add(out, Plots.lines("step", "loss (nats/token)", lossSeries(rs, step)), "loss-vs-step.png", "Loss over steps",
                "Line chart of the " + lossWhat + " in nats per token against the optimiser step, " + range(rs) + ".");
        if (m.hasTokens())
            add(out, Plots.lines("training tokens", "loss (nats/token)", lossSeries(rs, tokens)), "loss-vs-tokens.png",
                    "Loss over training tokens", "Line chart of the " + lossWhat
                            + " in nats per token against the number of training tokens seen, up to "
                            + String.format(java.util.Locale.ROOT, "%,.0f", tokens[tokens.length - 1]) + " tokens.");

        for (int layer : m.moeLayers()) {
            List<RunMetrics.LayerRound> lr = m.layer(layer);
            out.add(ExpertCharts.heatmap(layer, lr));
            out.add(ExpertCharts.sortedLoad(layer, lr.get(lr.size() - 1)));
        }
        if (!m.moeLayers().isEmpty()) {
            add(out, ExpertCharts.perLayer(m, "dead-expert fraction", LayerLoad::deadFraction), "experts-dead-fraction.png",
                    "Dead-expert fraction per layer", "Line chart, one curve per sigma-MoE layer, of the fraction of "
                            + "experts never selected in a round, against the round number.");
            add(out, ExpertCharts.perLayer(m, "usage relative perplexity", LayerLoad::usageRelPerplexity),
                    "experts-usage-perplexity.png", "Expert usage relative perplexity per layer",
                    "Line chart, one curve per sigma-MoE layer, of exp(entropy of the expert selection distribution) "
                            + "divided by the number of experts (1 = perfectly uniform use), against the round number.");
        }

        XYChart tput = one("round", "tokens/s", round, col(rs, Round::tokensPerS), "tokens/s");
        if (tput != null) tput.getStyler().setyAxisTickLabelsFormattingFunction(Plots::compact);
        add(out, tput, "throughput.png",
                "Training throughput", "Line chart of training tokens per second in each round against the round number.");
        add(out, one("step", "gradient norm", step, col(rs, Round::gradNorm), "gradient norm"), "grad-norm.png",
                "Gradient norm", "Line chart of the gradient norm before clipping against the optimiser step.");
        add(out, one("step", "learning rate", step, col(rs, Round::lr), "learning rate"), "learning-rate.png",
                "Learning rate", "Line chart of the learning rate against the optimiser step.");
        if (anyNonZero(rs, Round::reg))
            add(out, one("step", "entropy regulariser", step, col(rs, Round::reg), "regulariser"), "entropy-reg.png",
                    "Entropy regulariser", "Line chart of the expert-selection entropy regulariser term against the optimiser step.");

        List<String> timing = new ArrayList<>(), other = new ArrayList<>();
        for (String k : extraKeys(rs)) {
            if (k.endsWith("_s")) timing.add(k);
            else if (!EVENT_FIELDS.contains(k)) other.add(k);
        }
        if (!timing.isEmpty())
            add(out, Plots.lines("round", "seconds", extras(rs, round, timing)), "round-timing.png", "Round timing",
                    "Line chart of seconds spent per round (" + String.join(", ", timing) + ") against the round number.");
        List<String> events = EVENT_FIELDS.stream().filter(extraKeys(rs)::contains).toList();
        if (!events.isEmpty())
            add(out, Plots.lines("round", "count", extras(rs, round, events)), "round-events.png", "Events per round",
                    "Line chart of per-round counts (" + String.join(", ", events) + ") against the round number.");
        Set<String> names = new java.util.HashSet<>();
        for (String k : other) {
            String name = "metric-" + safe(k);
            for (int i = 2; !names.add(name); i++) name = "metric-" + safe(k) + "-" + i; // "a.b" and "a-b" both exist
            add(out, Plots.lines("round", k, extras(rs, round, List.of(k))), name + ".png", k,
                    "Line chart of the logged field " + k + " against the round number.");
        }
        return out;
    }

    private static List<Plots.Series> lossSeries(List<Round> rs, double[] x) {
        List<Plots.Series> s = new ArrayList<>();
        s.add(new Plots.Series("train", x, col(rs, Round::loss)));
        double[] v = col(rs, Round::validLoss);
        if (java.util.Arrays.stream(v).anyMatch(Double::isFinite)) s.add(sparse("valid", x, v));
        return s;
    }

    /** Only the points that exist, so that the marker rule sees how sparse the series really is. */
    private static Plots.Series sparse(String name, double[] x, double[] y) {
        return Plots.finite(new Plots.Series(name, x, y));
    }

    private static XYChart one(String xTitle, String yTitle, double[] x, double[] y, String name) {
        return Plots.lines(xTitle, yTitle, List.of(new Plots.Series(name, x, y)));
    }

    private static List<Plots.Series> extras(List<Round> rs, double[] x, List<String> keys) {
        List<Plots.Series> s = new ArrayList<>();
        for (String k : keys) s.add(new Plots.Series(k, x, col(rs, r -> r.extras().getOrDefault(k, Double.NaN))));
        return s;
    }

    private static Set<String> extraKeys(List<Round> rs) {
        Set<String> keys = new LinkedHashSet<>();
        for (Round r : rs) keys.addAll(r.extras().keySet());
        return keys;
    }

    private static void add(List<RenderedChart> out, XYChart c, String file, String title, String alt) {
        if (c != null) out.add(Plots.png(c, file, title, alt));
    }

    private static double[] col(List<Round> rs, ToDoubleFunction<Round> f) {
        double[] a = new double[rs.size()];
        for (int i = 0; i < a.length; i++) a[i] = f.applyAsDouble(rs.get(i));
        return a;
    }

    private static boolean anyNonZero(List<Round> rs, ToDoubleFunction<Round> f) {
        for (Round r : rs) {
            double v = f.applyAsDouble(r);
            if (Double.isFinite(v) && v != 0) return true;
        }
        return false;
    }

    private static String range(List<Round> rs) {
        return "steps " + rs.get(0).step() + " to " + rs.get(rs.size() - 1).step();
    }

    /** A field name as part of a file name: letters, digits, '-' and '_' only. */
    static String safe(String k) {
        return k.replaceAll("[^A-Za-z0-9_-]", "-");
    }
}
