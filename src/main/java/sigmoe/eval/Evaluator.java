package sigmoe.eval;

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

    /** Evaluates all segments of streams [lo, hi) of a B-stream layout (the whole split when lo = 0, hi = B). */
    public static Result evaluate(TransformerXL model, Tokens split, int segment, int memSegments, int batch, int lo, int hi,
                                  long maxSegmentsPerStream) {
        SegmentStreams s = new SegmentStreams(split, segment, batch, lo, hi);
        int n = s.width() * segment;
        int[] in = new int[n], tg = new int[n];
        model.resetMemory();
        double sum = 0;
        long count = 0;
        long steps = maxSegmentsPerStream > 0 ? Math.min(maxSegmentsPerStream, s.segmentsPerStream()) : s.segmentsPerStream();
        for (long p = 0; p < steps; p++) {
            s.batch(p, in, tg);
            TransformerXL.Loss l = model.forward(in, tg, s.width(), segment, memSegments * segment, false, null);
            sum += l.ceSum();
            count += l.count();
        }
        model.resetMemory();
        return new Result(count, sum);
    }

    /** Summed cross-entropy over scored tokens; additive, so distributed parts sum to the global figure. */
    public record Result(long tokens, double lossSum) {
        public double loss() { return lossSum / Math.max(1, tokens); }

        public double ppl() { return Math.exp(loss()); }

        public double bpc() { return loss() / Math.log(2); }

        public Result plus(Result o) { return new Result(tokens + o.tokens, lossSum + o.lossSum); }
    }
}
