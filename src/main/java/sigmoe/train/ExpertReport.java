package sigmoe.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sigmoe.model.FeedForward;
import sigmoe.model.FeedForwards;
import sigmoe.model.TransformerXL;
import sigmoe.nn.moe.ExpertStats;

/**
 * Raw, additive expert counts of every σ-MoE layer of a model, flattened into one double[] so replicas' counts can be
 * summed (on the driver, over every slice's report) before any ratio is computed (paper.md §5, pitfall 16).
 */
public final class ExpertReport {
    private ExpertReport() {}

    /** The σ-MoE layers' statistics accumulators (empty for a dense model). */
    public static List<ExpertStats> stats(TransformerXL model) {
        List<ExpertStats> s = new ArrayList<>();
        for (FeedForward f : model.ffns())
            if (f instanceof FeedForwards.SigmaMoe m) s.add(m.moe().stats());
        return s;
    }

    public static void collect(TransformerXL model, boolean on) {
        for (FeedForward f : model.ffns())
            if (f instanceof FeedForwards.SigmaMoe m) m.moe().setCollectStats(on);
    }

    /** All layers' raw counts, concatenated. */
    public static double[] flatten(TransformerXL model) {
        List<ExpertStats> s = stats(model);
        int n = 0;
        for (ExpertStats e : s) n += ExpertStats.flatLength(e.nExperts, e.expertSize);
        double[] out = new double[n];
        int o = 0;
        for (ExpertStats e : s) {
            double[] a = e.toArray();
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    public static void clear(TransformerXL model) { for (ExpertStats e : stats(model)) e.clear(); }

    /** Per-layer summaries of summed counts, as the metrics.jsonl {@code experts} entry. */
    public static List<Map<String, Object>> summarise(TransformerXL model, double[] summed) {
        List<Map<String, Object>> layers = new ArrayList<>();
        int o = 0, layer = 0;
        for (FeedForward f : model.ffns()) {
            if (f instanceof FeedForwards.SigmaMoe m) {
                int ne = m.moe().nExperts, g = m.moe().expertSize;
                int len = ExpertStats.flatLength(ne, g);
                double[] part = new double[len];
                System.arraycopy(summed, o, part, 0, len);
                o += len;
                ExpertStats st = ExpertStats.fromArray(ne, g, part);
                ExpertStats.Summary s = st.summary();
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("layer", layer);
                e.put("counts", st.selections());
                e.put("usage_rel_perplexity", s.usageRelPerplexity());
                e.put("dead_fraction", s.deadFraction());
                e.put("min_load", s.minLoad());
                e.put("max_load", s.maxLoad());
                layers.add(e);
            }
            layer++;
        }
        return layers;
    }
}
