package sigmoe.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * How the B evaluation streams are shared among P workers: contiguous ranges [lo, hi), in order, whose sizes differ
 * by at most one. Each stream keeps its own XL memory, so a stream must never be split across workers.
 */
public final class StreamRanges {
    private StreamRanges() {}

    /** min(P, B) ranges covering [0, B); the first B mod P ranges get one stream more. */
    public static List<int[]> split(int batch, int partitions) {
        if (batch < 1) throw new IllegalArgumentException("number of streams must be >= 1, got " + batch);
        if (partitions < 1) throw new IllegalArgumentException("number of partitions must be >= 1, got " + partitions);
        int p = Math.min(batch, partitions);
        List<int[]> r = new ArrayList<>(p);
        int lo = 0;
        for (int i = 0; i < p; i++) {
            int width = batch / p + (i < batch % p ? 1 : 0);
            r.add(new int[] {lo, lo + width});
            lo += width;
        }
        return r;
    }
}
