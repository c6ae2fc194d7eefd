package sigmoe.data.bpe;

import java.util.Arrays;

/**
 * Open-addressing hash map from long keys (a symbol pair packed as {@code left << 32 | right}) to non-negative
 * ints: the pair index of the trainer and the merge ranks of the encoder. No boxing, no deletion (neither user
 * removes pairs). Not thread-safe for writes; concurrent reads of a map that is no longer written are safe.
 */
final class LongIntMap implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final int EMPTY = -1;
    private long[] keys;
    private int[] values;
    private int size, mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(values, EMPTY);
        mask = cap - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    static int left(long pair) {
        return (int) (pair >>> 32);
    }

    static int right(long pair) {
        return (int) pair;
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L; // Fibonacci hashing: the high bits mix both halves of the pair
        return (int) (h ^ (h >>> 29) ^ (h >>> 32));
    }

    /** The value of {@code key}, or -1 when absent. */
    int get(long key) {
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            int v = values[i];
            if (v == EMPTY || keys[i] == key) return v;
        }
    }

    /** Sets {@code key} to {@code value} (>= 0). */
    void put(long key, int value) {
        if (value < 0) throw new IllegalArgumentException("negative value " + value);
        int i = hash(key) & mask;
        while (values[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        if (values[i] == EMPTY) {
            keys[i] = key;
            if (++size * 2 > keys.length) {
                values[i] = value;
                grow();
                return;
            }
        }
        values[i] = value;
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] k = keys;
        int[] v = values;
        keys = new long[k.length * 2];
        values = new int[v.length * 2];
        Arrays.fill(values, EMPTY);
        mask = keys.length - 1;
        for (int i = 0; i < k.length; i++) {
            if (v[i] == EMPTY) continue;
            int j = hash(k[i]) & mask;
            while (values[j] != EMPTY) j = (j + 1) & mask;
            keys[j] = k[i];
            values[j] = v[i];
        }
    }
}
