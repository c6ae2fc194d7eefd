package sigmoe.eval;

import java.io.Serializable;
import sigmoe.data.Tokens;
import sigmoe.model.TransformerXL;
import sigmoe.train.SegmentStreams;

/**
 * The paper's evaluation protocol (formats.md §3, paper.md §6): B contiguous streams of segments of T tokens, each
 * processed in order with a memory of M segments that starts empty; every target of the (stream-truncated) split is
 * scored exactly once. The model's training memory is saved by the caller if it must survive.
 */
public final class Evaluator {
    private Evaluator() {}

    /** Called after every evaluated segment position (all streams of the slice advanced by one segment). */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param done   segment positions done so far (1-based)
         * @param total  segment positions this call will evaluate
         * @param sofar  the result over the positions done
         */
        void segmentDone(long done, long total, Result sofar);
    }

    /** Evaluates all segments of streams [lo, hi) of a B-stream layout (the whole split when lo = 0, hi = B). */
    public static Result evaluate(TransformerXL model, Tokens split, int segment, int memSegments, int batch, int lo, int hi,
                                  long maxSegmentsPerStream) {
        return evaluate(model, split, segment, memSegments, batch, lo, hi, maxSegmentsPerStream, null);
    }

    /** As {@link #evaluate(TransformerXL, Tokens, int, int, int, int, int, long)}, reporting progress to a listener. */
    public static Result evaluate(TransformerXL model, Tokens split, int segment, int memSegments, int batch, int lo, int hi,
                                  long maxSegmentsPerStream, Listener listener) {
        SegmentStreams s = new SegmentStreams(split, segment, batch, lo, hi);
        int n = s.width() * segment;
        int[] in = new int[n], tg = new int[n];
        model.resetMemory();
        double sum = 0;
        long count = 0;
        long steps = segmentsPerStream(s.segmentsPerStream(), maxSegmentsPerStream);
        for (long p = 0; p < steps; p++) {
            s.batch(p, in, tg);
            TransformerXL.Loss l = model.forward(in, tg, s.width(), segment, memSegments * segment, false, null);
            sum += l.ceSum();
            count += l.count();
            if (listener != null) listener.segmentDone(p + 1, steps, new Result(count, sum));
        }
        model.resetMemory();
        return new Result(count, sum);
    }

    /** Segment positions an evaluation runs: all of a stream, or the first {@code max} when max > 0. */
    public static long segmentsPerStream(long available, long max) {
        return max > 0 ? Math.min(max, available) : available;
    }

    /** Summed cross-entropy over scored tokens; additive, so distributed parts sum to the global figure. */
    public record Result(long tokens, double lossSum) implements Serializable {
        public double loss() { return lossSum / Math.max(1, tokens); }

        public double ppl() { return Math.exp(loss()); }

        public double bpc() { return loss() / Math.log(2); }

        public Result plus(Result o) { return new Result(tokens + o.tokens, lossSum + o.lossSum); }
    }
}
