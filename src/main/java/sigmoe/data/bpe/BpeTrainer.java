package sigmoe.data.bpe;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

import sigmoe.data.UnitCounts;

/**
 * Learns BPE merges from a table of pre-token counts (the train split's, merged from the executors); runs on the
 * driver. Definition (what {@code BpeReferenceTest}'s naive trainer does, one full recount per merge):
 * <ol>
 *   <li>every pre-token starts as its UTF-8 bytes, ids 0..255;</li>
 *   <li>the count of an adjacent pair is the sum, over pre-tokens, of (pre-token count x positions where the pair
 *       occurs), overlapping positions included ("aaa" holds (a,a) twice);</li>
 *   <li>repeatedly take the pair of highest count, ties broken by the smaller left token bytes, then the smaller
 *       right token bytes (unsigned lexicographic, a prefix first); if the two tokens' concatenation already is a
 *       token the pair is never merged (the vocabulary stays free of duplicates); otherwise it becomes the next
 *       token and every occurrence is merged, left to right in each pre-token;</li>
 *   <li>stop at {@code vocabSize} tokens or when no pair is left.</li>
 * </ol>
 * Implementation: pair counts with incremental updates, only in the pre-tokens that hold the merged pair (found
 * through per-pair lists of pre-token indices), and a max-heap with lazy deletion: every pair with a positive
 * count has an entry with its current count; entries whose count is out of date are dropped when popped.
 */
public final class BpeTrainer {
    private final int[][] words;   // pre-token -> current symbols
    private final long[] counts;   // pre-token -> occurrences in train
    private final int[] seen;      // pre-token -> stamp of the merge that last visited it
    private int stamp;

    private final List<byte[]> tokens = new ArrayList<>();
    private final Set<String> tokenSet = new HashSet<>();
    private final IntList mergeLeft = new IntList(), mergeRight = new IntList();

    // pairs, by slot
    private final LongIntMap slots;
    private long[] pairOf = new long[1024], pairCount = new long[1024], delta = new long[1024];
    private int[][] occurrences = new int[1024][];
    private int[] occurrenceCount = new int[1024], touched = new int[1024];
    private boolean[] forbidden = new boolean[1024];
    private int nSlots;
    private final IntList touchedSlots = new IntList();
    private final PriorityQueue<long[]> heap; // {count, slot}

    private BpeTrainer(UnitCounts preTokens) {
        int n = preTokens.size();
        words = new int[n][];
        counts = new long[n];
        seen = new int[n];
        int[] i = {0};
        preTokens.forEach((w, c) -> {
            byte[] b = w.getBytes(StandardCharsets.UTF_8);
            int[] s = new int[b.length];
            for (int k = 0; k < b.length; k++) s[k] = b[k] & 0xff;
            words[i[0]] = s;
            counts[i[0]++] = c;
        });
        for (int b = 0; b < BpeModel.BYTES; b++) {
            tokens.add(new byte[] {(byte) b});
            tokenSet.add(BpeModel.key(tokens.get(b)));
        }
        slots = new LongIntMap(1 << 16);
        heap = new PriorityQueue<>(1 << 16, this::compareEntries);
    }

    /**
     * Learns the merges of a vocabulary of at most {@code vocabSize} tokens (256 bytes + merges).
     *
     * @param preTokens pre-token -> count (see {@link PreTokenizer})
     */
    public static BpeModel train(UnitCounts preTokens, int vocabSize) {
        if (vocabSize < BpeModel.BYTES) throw new IllegalArgumentException("vocab size must be >= 256, got " + vocabSize);
        BpeTrainer t = new BpeTrainer(preTokens);
        t.run(vocabSize);
        return new BpeModel(t.mergeLeft.toArray(), t.mergeRight.toArray());
    }

    private void run(int vocabSize) {
        for (int w = 0; w < words.length; w++) {
            int[] s = words[w];
            for (int i = 0; i + 1 < s.length; i++) {
                int slot = slot(LongIntMap.pair(s[i], s[i + 1]));
                pairCount[slot] += counts[w];
                addOccurrence(slot, w);
            }
        }
        for (int slot = 0; slot < nSlots; slot++) heap.add(new long[] {pairCount[slot], slot});
        while (tokens.size() < vocabSize && !heap.isEmpty()) {
            long[] e = heap.poll();
            int slot = (int) e[1];
            if (forbidden[slot] || pairCount[slot] != e[0] || e[0] <= 0) continue;
            int a = LongIntMap.left(pairOf[slot]), b = LongIntMap.right(pairOf[slot]);
            byte[] t = Arrays.copyOf(tokens.get(a), tokens.get(a).length + tokens.get(b).length);
            System.arraycopy(tokens.get(b), 0, t, tokens.get(a).length, tokens.get(b).length);
            if (!tokenSet.add(BpeModel.key(t))) {
                forbidden[slot] = true;
                continue;
            }
            int id = tokens.size();
            tokens.add(t);
            mergeLeft.accept(a);
            mergeRight.accept(b);
            merge(slot, a, b, id);
        }
    }

    /** Merges (a, b) into id in every pre-token holding it, updating pair counts, lists and the heap. */
    private void merge(int slot, int a, int b, int id) {
        stamp++;
        int[] ws = occurrences[slot];
        int nws = occurrenceCount[slot];
        // the pair cannot occur again (new adjacencies all involve the new token): free its list
        occurrences[slot] = null;
        occurrenceCount[slot] = 0;
        int[] out = new int[16];
        for (int k = 0; k < nws; k++) {
            int w = ws[k];
            if (seen[w] == stamp) continue;
            seen[w] = stamp;
            int[] s = words[w];
            int n = s.length, m = 0;
            if (out.length < n) out = new int[n];
            for (int i = 0; i < n; ) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    out[m++] = id;
                    i += 2;
                } else {
                    out[m++] = s[i++];
                }
            }
            if (m == n) continue; // a stale list entry: the pair left this pre-token in an earlier merge
            long c = counts[w];
            for (int i = 0; i + 1 < n; i++) change(LongIntMap.pair(s[i], s[i + 1]), -c);
            for (int i = 0; i + 1 < m; i++) {
                int to = change(LongIntMap.pair(out[i], out[i + 1]), c);
                if (out[i] == id || out[i + 1] == id) addOccurrence(to, w);
            }
            words[w] = Arrays.copyOf(out, m);
        }
        for (int k = 0; k < touchedSlots.n; k++) {
            int t = touchedSlots.a[k];
            if (delta[t] != 0) {
                pairCount[t] += delta[t];
                if (pairCount[t] > 0 && !forbidden[t]) heap.add(new long[] {pairCount[t], t});
            }
            delta[t] = 0;
        }
        touchedSlots.n = 0;
    }

    /** Adds {@code d} to the pending count change of a pair; returns its slot. */
    private int change(long pair, long d) {
        int slot = slot(pair);
        if (touched[slot] != stamp) {
            touched[slot] = stamp;
            touchedSlots.accept(slot);
        }
        delta[slot] += d;
        return slot;
    }

    private void addOccurrence(int slot, int w) {
        int n = occurrenceCount[slot];
        int[] list = occurrences[slot];
        if (n > 0 && list[n - 1] == w) return;
        if (list == null) list = occurrences[slot] = new int[4];
        else if (n == list.length) list = occurrences[slot] = Arrays.copyOf(list, n * 2);
        list[n] = w;
        occurrenceCount[slot] = n + 1;
    }

    private int slot(long pair) {
        int s = slots.get(pair);
        if (s >= 0) return s;
        s = nSlots++;
        if (s == pairOf.length) {
            int cap = s * 2;
            pairOf = Arrays.copyOf(pairOf, cap);
            pairCount = Arrays.copyOf(pairCount, cap);
            delta = Arrays.copyOf(delta, cap);
            occurrences = Arrays.copyOf(occurrences, cap);
            occurrenceCount = Arrays.copyOf(occurrenceCount, cap);
            touched = Arrays.copyOf(touched, cap);
            forbidden = Arrays.copyOf(forbidden, cap);
        }
        pairOf[s] = pair;
        slots.put(pair, s);
        return s;
    }

    /** Heap order: higher count first, then smaller left token bytes, then smaller right token bytes. */
    private int compareEntries(long[] x, long[] y) {
        int c = Long.compare(y[0], x[0]);
        if (c != 0) return c;
        long p = pairOf[(int) x[1]], q = pairOf[(int) y[1]];
        c = Arrays.compareUnsigned(tokens.get(LongIntMap.left(p)), tokens.get(LongIntMap.left(q)));
        return c != 0 ? c : Arrays.compareUnsigned(tokens.get(LongIntMap.right(p)), tokens.get(LongIntMap.right(q)));
    }

    /** A growable int list. */
    private static final class IntList {
        int[] a = new int[256];
        int n;

        void accept(int v) {
            if (n == a.length) a = Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
