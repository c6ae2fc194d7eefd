package sigmoe.train;

import sigmoe.data.Tokens;

/**
 * The paper's batching (paper.md §3.6, formats.md §3): a split of N tokens is cut into n = (N−1) div T segments of T
 * inputs with next-token targets; the segments form B contiguous streams of n div B segments each (the remainder is
 * dropped); batch p holds segment p of every stream. A slice [lo, hi) of the B streams is what one worker trains,
 * always the same streams, so each stream's XL memory stays with it.
 */
public final class SegmentStreams {
    private final Tokens tokens;
    private final int segment;
    private final int streams;
    private final int lo, hi;
    private final long perStream;

    public SegmentStreams(Tokens tokens, int segment, int streams, int lo, int hi) {
        if (segment < 1) throw new IllegalArgumentException("segment length must be >= 1, got " + segment);
        if (streams < 1) throw new IllegalArgumentException("number of streams must be >= 1, got " + streams);
        if (lo < 0 || hi > streams || lo >= hi)
            throw new IllegalArgumentException("stream slice [" + lo + ", " + hi + ") is not inside [0, " + streams + ")");
        this.tokens = tokens;
        this.segment = segment;
        this.streams = streams;
        this.lo = lo;
        this.hi = hi;
        long nSeg = (tokens.size() - 1) / segment;
        this.perStream = nSeg / streams;
        if (perStream < 1)
            throw new IllegalArgumentException("the split has " + tokens.size() + " tokens: too few for " + streams
                    + " streams of segments of " + segment + " tokens; use a smaller batch or segment length");
    }

    /** Segments per stream (batches per epoch). */
    public long segmentsPerStream() { return perStream; }

    /** Streams in this slice. */
    public int width() { return hi - lo; }

    public int segmentLength() { return segment; }

    /** Number of target tokens one epoch of this slice scores. */
    public long tokensPerEpoch() { return perStream * segment * width(); }

    /**
     * Fills inputs and targets ([width·T], row b·T + t for the slice's b-th stream) with batch {@code p} (0-based,
     * taken modulo the epoch length).
     */
    public void batch(long p, int[] inputs, int[] targets) {
        long q = Math.floorMod(p, perStream);
        for (int b = 0; b < width(); b++) {
            long seg = (long) (lo + b) * perStream + q;
            long start = seg * segment;
            tokens.read(start, inputs, b * segment, segment);
            tokens.read(start + 1, targets, b * segment, segment);
        }
    }

    /** True when batch p starts a new pass over the streams (XL memory must be reset there). */
    public boolean startsEpoch(long p) { return Math.floorMod(p, perStream) == 0; }

    public int totalStreams() { return streams; }
}
