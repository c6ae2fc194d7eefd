package sigmoe.report;

import java.util.List;

/**
 * The report's summary table. Losses are nats per token; NaN where the run has no such value (no validation round,
 * no throughput logged).
 *
 * @param finalStep       step of the last logged round
 * @param finalTrainLoss  training loss of the last logged round
 * @param bestValidLoss   lowest validation loss, at {@code bestValidStep}
 * @param finalValidLoss  the last validation loss, at {@code finalValidStep}
 * @param meanTokensPerS  training throughput over all timed rounds (see RunMetrics#meanThroughput)
 * @param rounds          number of logged rounds
 * @param layers          per σ-MoE layer: the last round's dead-expert fraction and usage relative perplexity
 */
public record Summary(long finalStep, double finalTrainLoss, double bestValidLoss, long bestValidStep,
                      double finalValidLoss, long finalValidStep, double meanTokensPerS, int rounds,
                      List<LayerSummary> layers) {
    public record LayerSummary(int layer, int nExperts, double deadFraction, double usageRelPerplexity) {}
}
