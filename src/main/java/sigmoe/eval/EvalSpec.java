package sigmoe.eval;

import java.io.Serializable;
import sigmoe.data.Tokens;
import sigmoe.train.SegmentStreams;

/**
 * One evaluation as the paper defines it (paper.md §6): which model on which split, segment length T, memory of M
 * segments, B parallel streams, and optionally only the first {@code maxSegments} segments of every stream (0 = all).
 * Serializable: the distributed evaluator ships it to executors.
 */
public record EvalSpec(String checkpoint, String data, String split, int segment, int memSegments, int batch,
                       long maxSegments) implements Serializable {

    public EvalSpec {
        if (segment < 1) throw new IllegalArgumentException("segment length must be >= 1, got " + segment);
        if (memSegments < 0) throw new IllegalArgumentException("memory segments must be >= 0, got " + memSegments);
        if (batch < 1) throw new IllegalArgumentException("batch (number of streams) must be >= 1, got " + batch);
        if (maxSegments < 0) throw new IllegalArgumentException("max segments must be >= 0 (0 = all), got " + maxSegments);
    }

    /**
     * Segment positions every stream runs on this split. Throws IllegalArgumentException, naming the sizes, when
     * the split is too short for B streams of T-token segments.
     */
    public long segmentsPerStream(Tokens tokens) {
        return Evaluator.segmentsPerStream(new SegmentStreams(tokens, segment, batch, 0, batch).segmentsPerStream(), maxSegments);
    }

    /** Tokens the streams [lo, hi) score (each of their segments scores T targets). */
    public long tokens(Tokens tokens, int lo, int hi) {
        return segmentsPerStream(tokens) * segment * (long) (hi - lo);
    }

    /** Runs this evaluation on streams [lo, hi) with an already loaded model. */
    public Evaluator.Result evaluate(LoadedModel m, Tokens tokens, int lo, int hi, Evaluator.Listener listener) {
        return Evaluator.evaluate(m.model, tokens, segment, memSegments, batch, lo, hi, maxSegments, listener);
    }
}
