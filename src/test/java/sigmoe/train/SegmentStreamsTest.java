package sigmoe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sigmoe.data.Tokens;

class SegmentStreamsTest {
    private static Tokens iota(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return Tokens.of(a);
    }

    @Test
    void streamsAreContiguousRunsOfSegmentsAndTheRemainderIsDropped() {
        // 27 tokens, T = 3: (27-1) div 3 = 8 segments; B = 3 streams of 8 div 3 = 2 segments (2 segments dropped).
        SegmentStreams s = new SegmentStreams(iota(27), 3, 3, 0, 3);
        assertEquals(2, s.segmentsPerStream());
        int[] in = new int[9], tg = new int[9];
        s.batch(0, in, tg);
        assertArrayEquals(new int[] {0, 1, 2, 6, 7, 8, 12, 13, 14}, in);
        assertArrayEquals(new int[] {1, 2, 3, 7, 8, 9, 13, 14, 15}, tg);
        s.batch(1, in, tg);
        assertArrayEquals(new int[] {3, 4, 5, 9, 10, 11, 15, 16, 17}, in);
        assertTrue(s.startsEpoch(2));
        assertFalse(s.startsEpoch(1));
    }

    @Test
    void aSliceSeesExactlyItsStreamsOfTheGlobalBatch() {
        SegmentStreams all = new SegmentStreams(iota(100), 4, 4, 0, 4);
        SegmentStreams right = new SegmentStreams(iota(100), 4, 4, 2, 4);
        int[] a = new int[16], at = new int[16], r = new int[8], rt = new int[8];
        all.batch(3, a, at);
        right.batch(3, r, rt);
        for (int i = 0; i < 8; i++) {
            assertEquals(a[8 + i], r[i]);
            assertEquals(at[8 + i], rt[i]);
        }
    }

    @Test
    void tooShortASplitIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SegmentStreams(iota(10), 4, 4, 0, 4));
        assertTrue(e.getMessage().contains("too few"), e.getMessage());
    }
}
