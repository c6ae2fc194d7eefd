package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The exchange as slice tasks that live for a span of rounds use it: a fetch waits for its round and carries the
 * round's instructions, a span ends after its last round or early on the driver's word, the driver takes every slice's
 * first complete upload with its report, and a superseded generation (a re-run barrier stage) never counts.
 */
class SpanExchangeTest {
    static final int N = StateServerTest.N;

    static void upload(StateServer server, long generation, long round, int slice, long attempt, RoundState s) throws IOException {
        StateServerTest.upload(server.endpoint(), generation, round, slice, attempt, s);
    }

    /** A fetch of span job {@code generation} from round {@code min} on, on another thread: header and parameters. */
    static CompletableFuture<Object[]> fetch(StateServer server, long generation, long min) {
        return CompletableFuture.supplyAsync(() -> {
            try (StateClient c = new StateClient(server.endpoint(), 0)) {
                StateClient.Header h = c.get(generation, min);
                if (h == null) return new Object[] {null, null};
                INDArray[] r = StateServerTest.replica();
                c.readInto(h, r[0], r[1], r[2]);
                return new Object[] {h, StateServerTest.floats(r[0])};
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void aFetchWaitsForItsRoundAndCarriesTheRoundsInstructions() throws Exception {
        try (StateServer server = new StateServer("127.0.0.1", 0, 1)) {
            server.beginSpan(0, 5, false);
            server.publish(0, StateServerTest.state(1, 3), new StateServer.RoundInfo(3, "hdfs:///run/ck/.step-6"));
            Object[] now = fetch(server, 0, 0).get(10, TimeUnit.SECONDS);
            assertEquals(new StateClient.Header(0, 3, 2, 3, "hdfs:///run/ck/.step-6", N), now[0]);
            CompletableFuture<Object[]> next = fetch(server, 0, 1);
            Thread.sleep(300);
            assertFalse(next.isDone(), "round 1 is not published yet: the task waits at the exchange");
            RoundState s1 = StateServerTest.state(2, 6);
            server.publish(1, s1, new StateServer.RoundInfo(2, null));
            Object[] got = next.get(10, TimeUnit.SECONDS);
            assertEquals(new StateClient.Header(1, 6, 5, 2, null, N), got[0]);
            assertArrayEquals(s1.params(), (float[]) got[1]);
            // a retried task asks from the span's first round and gets the round that is current
            assertEquals(1, ((StateClient.Header) fetch(server, 0, 0).get(10, TimeUnit.SECONDS)[0]).round());
        }
    }

    @Test
    void aSpanEndsAfterItsLastRoundOrEarlyOnTheDriversWord() throws Exception {
        try (StateServer server = new StateServer("127.0.0.1", 0, 2)) {
            server.beginSpan(0, 1, false);
            server.publish(1, StateServerTest.state(1, 3), StateServerTest.INFO);
            assertNull(fetch(server, 0, 2).get(10, TimeUnit.SECONDS)[0], "round 2 belongs to the next span's job");
            server.beginSpan(1, 9, false);
            CompletableFuture<Object[]> waiting = fetch(server, 1, 2);
            Thread.sleep(200);
            assertFalse(waiting.isDone());
            server.endSpan(1, 1); // a slice's task failed in round 1: the others return instead of waiting for round 2
            assertNull(waiting.get(10, TimeUnit.SECONDS)[0]);
            Object[] retry = fetch(server, 1, 1).get(10, TimeUnit.SECONDS); // the failed slice's retry still gets round 1
            assertEquals(1, ((StateClient.Header) retry[0]).round());
            server.beginSpan(2, 9, false);
            CompletableFuture<Object[]> nextJob = fetch(server, 2, 2); // the next span's task waits for round 2
            server.publish(2, StateServerTest.state(2, 6), StateServerTest.INFO);
            assertEquals(2, ((StateClient.Header) nextJob.get(10, TimeUnit.SECONDS)[0]).round());
        }
    }

    @Test
    void theDriverTakesEverySlicesFirstCompleteUploadWithItsReport() throws Exception {
        RoundState a = StateServerTest.state(1, 3), b = StateServerTest.state(2, 3), late = StateServerTest.state(3, 3);
        try (StateServer server = new StateServer("127.0.0.1", 0, 2)) {
            server.beginSpan(0, 9, false);
            server.publish(0, a, StateServerTest.INFO);
            assertNull(server.awaitRound(0, 50));
            upload(server, 0, 0, 1, 7, b);
            upload(server, 0, 0, 1, 8, late); // a zombie attempt of slice 1, later
            assertNull(server.awaitRound(0, 50), "slice 0 has not uploaded");
            CompletableFuture<StateServer.Arrived> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.awaitRound(0, 10_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            upload(server, 0, 0, 0, 5, a);
            StateServer.Arrived got = waiting.get(10, TimeUnit.SECONDS);
            assertNotNull(got, "the upload wakes the driver");
            assertEquals(Map.of(0, 5L, 1, 7L), got.tokens());
            SliceResult sums = SliceResult.empty();
            for (SliceResult.SliceOutput o : got.outputs()) SliceResult.add(sums, o);
            assertEquals(201, sums.tokens);
            assertEquals(2.5, sums.ceSum);
            assertArrayEquals(new double[] {1, 2}, sums.expertCounts);
            assertTrue(got.outputs().get(0).times().pack() > 0, "the upload's time as the exchange measured it");
            assertEquals(0.3, got.outputs().get(1).times().compute());
            RoundState mean = server.average(0, got.tokens(), 3, 2).toRoundState();
            assertEquals((float) (((double) a.m()[3] + b.m()[3]) / 2), mean.m()[3]);
        }
    }

    @Test
    void uploadsOfASupersededGenerationNeverCount() throws Exception {
        RoundState s = StateServerTest.state(1, 3), rerun = StateServerTest.state(4, 3);
        try (StateServer server = new StateServer("127.0.0.1", 0, 1)) {
            server.beginSpan(0, 9, false);
            server.publish(0, s, StateServerTest.INFO);
            upload(server, 0, 0, 0, 1, s); // then the barrier stage failed
            server.beginSpan(1, 9, true);
            assertNull(server.awaitRound(0, 50), "the failed stage's upload is not averaged");
            assertThrows(IOException.class, () -> upload(server, 0, 0, 0, 2, s), "nor taken any more");
            upload(server, 1, 0, 0, 3, rerun);
            StateServer.Arrived got = server.awaitRound(0, 1000);
            assertEquals(Map.of(0, 3L), got.tokens());
            assertArrayEquals(rerun.v(), server.average(0, got.tokens(), 3, 2).toRoundState().v());
        }
    }

    @Test
    void aRoundReportSurvivesTheWireAndATruncatedOneIsAnError() {
        SliceResult.SliceOutput o = new SliceResult.SliceOutput(3, new double[] {1.5, Double.MIN_VALUE, 7}, 1e-300, -0.0,
                123_456_789_012L, 10, 2, true, new SliceResult.Times(0.1, 0.2, 0.3, 0.4, Double.NaN, 0.6), 2,
                "slice 3, step 11: non-finite gradient of layers.0.ffn.keys — ∞");
        SliceResult.SliceOutput back = SliceResult.SliceOutput.decode(o.encode());
        assertArrayEquals(o.expertCounts(), back.expertCounts());
        assertEquals(o.fault(), back.fault());
        assertEquals(o.times(), back.times());
        assertEquals(new SliceResult.SliceOutput(3, null, 1e-300, -0.0, 123_456_789_012L, 10, 2, true, o.times(), 2, o.fault()),
                new SliceResult.SliceOutput(back.slice(), null, back.ceSum(), back.regSum(), back.tokens(), back.steps(),
                        back.skipped(), back.rebuilt(), back.times(), back.maxSkipRun(), back.fault()));
        SliceResult.SliceOutput bare = new SliceResult.SliceOutput(0, null, 0, 0, 0, 0, 0, false,
                new SliceResult.Times(0, 0, 0, 0, 0, 0), 0, null);
        assertEquals(bare, SliceResult.SliceOutput.decode(bare.encode()));
        byte[] cut = java.util.Arrays.copyOf(o.encode(), 40);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SliceResult.SliceOutput.decode(cut));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("expert counts"), e.getMessage());
    }
}
