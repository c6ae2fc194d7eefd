package sigmoe.report;

import java.util.List;
import java.util.Map;

/**
 * One line of metrics.jsonl: the statistics of one logged round (a log interval of the single-process trainer,
 * H local steps of the Spark trainer). Values a trainer does not write are NaN.
 *
 * @param line       1-based line number in metrics.jsonl (for messages)
 * @param round      the round index
 * @param step       optimiser steps done at the end of the round
 * @param loss       mean training cross-entropy over the round's tokens (nats per token)
 * @param reg        entropy regulariser value
 * @param lr         learning rate
 * @param gradNorm   gradient norm before clipping
 * @param tokens     training tokens processed in the round
 * @param tokensPerS training throughput of the round
 * @param validLoss  validation loss, on validation rounds only
 * @param experts    per-σ-MoE-layer routing statistics, empty for dense models
 * @param extras     any other numeric top-level fields (the Spark trainer's round_s, broadcast_s, rebuilds, ...)
 */
public record Round(int line, long round, long step, double loss, double reg, double lr, double gradNorm, double tokens,
                    double tokensPerS, double validLoss, List<LayerLoad> experts, Map<String, Double> extras) {
    public boolean hasValid() {
        return !Double.isNaN(validLoss);
    }
}
