package sigmoe.data;

/**
 * A split's token stream as the trainer and the evaluator see it: ids with random access. Implemented by the
 * shard reader (memory-mapped or streamed) and by in-memory arrays in tests.
 */
public interface Tokens {
    /** Number of tokens in the stream. */
    long size();

    /** The id at position {@code i}, 0 <= i < size(). */
    int get(long i);

    /** Copies {@code len} ids starting at {@code pos} into {@code dst[off..off+len)}. */
    default void read(long pos, int[] dst, int off, int len) {
        for (int k = 0; k < len; k++) dst[off + k] = get(pos + k);
    }

    /** In-memory stream over an int array (tests, small corpora). */
    static Tokens of(int[] ids) {
        return new Tokens() {
            @Override public long size() { return ids.length; }
            @Override public int get(long i) { return ids[Math.toIntExact(i)]; }
            @Override public void read(long pos, int[] dst, int off, int len) {
                System.arraycopy(ids, Math.toIntExact(pos), dst, off, len);
            }
        };
    }
}
