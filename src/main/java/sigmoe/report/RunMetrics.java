package sigmoe.report;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** A run's parsed metrics.jsonl and the series and summary numbers the report derives from it. */
public final class RunMetrics {
    private final List<Round> rounds;

    public RunMetrics(List<Round> rounds) {
        if (rounds.isEmpty()) throw new IllegalArgumentException("no rounds");
        this.rounds = List.copyOf(rounds);
    }

    public List<Round> rounds() {
        return rounds;
    }

    public Round last() {
        return rounds.get(rounds.size() - 1);
    }

    /** True when at least one round says how many tokens it trained on. */
    public boolean hasTokens() {
        for (Round r : rounds) if (Double.isFinite(r.tokens())) return true;
        return false;
    }

    /** Training tokens seen up to the end of each round (rounds without a count add nothing). */
    public double[] cumulativeTokens() {
        double[] c = new double[rounds.size()];
        double sum = 0;
        for (int i = 0; i < c.length; i++) {
            double t = rounds.get(i).tokens();
            if (Double.isFinite(t)) sum += t;
            c[i] = sum;
        }
        return c;
    }

    /** The σ-MoE layers that appear in any round, ascending; empty for dense runs. */
    public List<Integer> moeLayers() {
        TreeSet<Integer> s = new TreeSet<>();
        for (Round r : rounds) for (LayerLoad l : r.experts()) s.add(l.layer());
        return new ArrayList<>(s);
    }

    /** The layer's statistics in the rounds that have them, with those rounds' numbers. */
    public List<LayerRound> layer(int layer) {
        List<LayerRound> out = new ArrayList<>();
        for (Round r : rounds)
            for (LayerLoad l : r.experts())
                if (l.layer() == layer) out.add(new LayerRound(r.round(), r.step(), l));
        return out;
    }

    public record LayerRound(long round, long step, LayerLoad load) {}

    public Summary summary() {
        Round last = last();
        double best = Double.NaN, fin = Double.NaN;
        long bestStep = -1, finStep = -1;
        for (Round r : rounds) {
            if (!r.hasValid()) continue;
            fin = r.validLoss();
            finStep = r.step();
            if (Double.isFinite(r.validLoss()) && (Double.isNaN(best) || r.validLoss() < best)) {
                best = r.validLoss();
                bestStep = r.step();
            }
        }
        List<Summary.LayerSummary> layers = new ArrayList<>();
        for (int layer : moeLayers()) {
            List<LayerRound> lr = layer(layer);
            LayerLoad l = lr.get(lr.size() - 1).load();
            layers.add(new Summary.LayerSummary(layer, l.nExperts(), l.deadFraction(), l.usageRelPerplexity()));
        }
        return new Summary(last.step(), last.loss(), best, bestStep, fin, finStep, meanThroughput(), rounds.size(), layers);
    }

    /**
     * All timed rounds' tokens over their summed time (tokens / tokens_per_s per round): the run's throughput,
     * not skewed by short rounds as a plain mean of the per-round rates would be. The plain mean when no round
     * says how many tokens it had; NaN when no round has a rate.
     */
    double meanThroughput() {
        double tokens = 0, secs = 0, rateSum = 0;
        int rates = 0;
        for (Round r : rounds) {
            double tps = r.tokensPerS();
            if (!(Double.isFinite(tps) && tps > 0)) continue;
            rateSum += tps;
            rates++;
            if (Double.isFinite(r.tokens()) && r.tokens() > 0) {
                tokens += r.tokens();
                secs += r.tokens() / tps;
            }
        }
        if (secs > 0) return tokens / secs;
        return rates == 0 ? Double.NaN : rateSum / rates;
    }
}
