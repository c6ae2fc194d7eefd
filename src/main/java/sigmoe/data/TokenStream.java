package sigmoe.data;

import java.util.List;

/**
 * A split's token stream: the concatenation of its shards in manifest order, with random access. Local shards
 * are memory-mapped (the OS page cache holds them once for every reader on the machine); shards on remote
 * file systems are read into the heap when the split is opened. Safe for concurrent readers.
 */
public final class TokenStream implements Tokens {
    private final String split;
    private final Shard[] shards;
    private final long[] starts; // starts[k] = first stream position of shard k; starts[n] = size
    private final int vocabSize;

    TokenStream(String split, List<Shard> shards, int vocabSize) {
        this.split = split;
        this.shards = shards.toArray(new Shard[0]);
        this.vocabSize = vocabSize;
        this.starts = new long[this.shards.length + 1];
        for (int k = 0; k < this.shards.length; k++) starts[k + 1] = starts[k] + this.shards[k].tokens;
    }

    /** The split's name ("train", "valid", "test"). */
    public String split() {
        return split;
    }

    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public long size() {
        return starts[shards.length];
    }

    @Override
    public int get(long i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("position " + i + " of a stream of " + size());
        int k = shardOf(i);
        return shards[k].get(i - starts[k]);
    }

    @Override
    public void read(long pos, int[] dst, int off, int len) {
        if (pos < 0 || len < 0 || pos > size() - len) {
            throw new IndexOutOfBoundsException("range [" + pos + ", " + (pos + len) + ") of a stream of " + size());
        }
        int k = len == 0 ? 0 : shardOf(pos);
        for (int i = 0; i < len; i++) {
            long p = pos + i;
            while (p >= starts[k + 1]) k++;
            dst[off + i] = shards[k].get(p - starts[k]);
        }
    }

    private int shardOf(long i) {
        int lo = 0, hi = shards.length - 1; // the last k with starts[k] <= i (empty shards are skipped over)
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= i) lo = mid;
            else hi = mid - 1;
        }
        while (starts[lo + 1] <= i) lo++;
        return lo;
    }
}
