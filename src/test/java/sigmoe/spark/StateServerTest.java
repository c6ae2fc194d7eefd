package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.config.ConfigException;
import sigmoe.config.RunConfig;

/**
 * The driver's round-state exchange: bit-exact transport into native memory, exact means in slice order, only the
 * attempts Spark returned and only complete uploads, the run's secret, and errors that name the config keys.
 */
class StateServerTest {
    static final int N = 70_001;

    static float[] random(long seed) {
        Random r = new Random(seed);
        float[] a = new float[N];
        for (int i = 0; i < N; i++) a[i] = (float) r.nextGaussian();
        a[5] = -0f; // a -0.0 in every array: it must survive a mean of one slice and of slices that all hold it
        return a;
    }

    static RoundState state(long seed, long step) {
        return new RoundState(step, step - 1, random(seed), random(seed + 1), random(seed + 2));
    }

    static INDArray[] replica() {
        return new INDArray[] {Nd4j.create(DataType.FLOAT, N), Nd4j.create(DataType.FLOAT, N), Nd4j.create(DataType.FLOAT, N)};
    }

    static float[] floats(INDArray a) { return RoundState.copyOf(a); }

    /** A round's instructions that these tests do not look at. */
    static final StateServer.RoundInfo INFO = new StateServer.RoundInfo(0, null);

    /** An exchange whose span job 0 may fetch any round. */
    static StateServer server(int workers) throws IOException {
        StateServer s = new StateServer("127.0.0.1", 0, workers);
        s.beginSpan(0, Long.MAX_VALUE, false);
        return s;
    }

    /** A slice's round report as SliceTask sends it. */
    static byte[] report(int slice) {
        return new SliceResult.SliceOutput(slice, new double[] {slice, 1}, 2.5 * slice, 0.25, 100 + slice, 3, 0, false,
                new SliceResult.Times(0.1, 0.2, 0.3, 0, 0.4, 0.5), 0, null).encode();
    }

    /** A replica holding {@code s}, uploaded as the given slice's attempt of span job {@code generation}. */
    static void upload(StateClient.Endpoint to, long generation, long round, int slice, long attempt, RoundState s)
            throws IOException {
        INDArray[] r = replica();
        float[][] src = {s.params(), s.m(), s.v()};
        for (int k = 0; k < 3; k++) r[k].data().asNioFloat().put(0, src[k]); // r, read below, keeps the arrays alive
        StateClient.put(to, generation, round, slice, attempt, r[0], r[1], r[2], report(slice));
    }

    static void upload(StateClient.Endpoint to, long round, int slice, long attempt, RoundState s) throws IOException {
        upload(to, 0, round, slice, attempt, s);
    }

    static void upload(StateServer server, long round, int slice, long attempt, RoundState s) throws IOException {
        upload(server.endpoint(), round, slice, attempt, s);
    }

    /** The mean as heap arrays: {@link StateServer#average} writes into buffers that its next call overwrites. */
    static RoundState mean(StateServer server, long round, Map<Integer, Long> tokens, long step, long adamStep) {
        return server.average(round, tokens, step, adamStep).toRoundState();
    }

    @Test
    void aSliceDownloadsTheStateBitForBitIntoItsArrays() throws Exception {
        try (StateServer server = server(2)) {
            RoundState s = state(1, 30);
            s.params()[7] = Float.NaN;
            s.v()[8] = Float.NEGATIVE_INFINITY;
            s.m()[9] = Float.MIN_VALUE; // a subnormal
            server.publish(3, s, INFO);
            INDArray[] r = replica();
            try (StateClient c = new StateClient(server.endpoint(), 0)) {
                StateClient.Header h = c.get(0, 3);
                assertEquals(new StateClient.Header(3, 30, 29, 0, null, N), h);
                c.readInto(h, r[0], r[1], r[2]);
            }
            assertArrayEquals(s.params(), floats(r[0]));
            assertArrayEquals(s.m(), floats(r[1]));
            assertArrayEquals(s.v(), floats(r[2]));
            // and back: the mean of two slices that uploaded these very arrays is them, bit for bit
            StateClient.put(server.endpoint(), 0, 3, 0, 11, r[0], r[1], r[2], report(0));
            StateClient.put(server.endpoint(), 0, 3, 1, 12, r[0], r[1], r[2], report(1));
            RoundState back = mean(server, 3, Map.of(0, 11L, 1, 12L), 31, 30);
            assertArrayEquals(s.m(), back.m());
            assertArrayEquals(s.v(), back.v());
            assertTrue(Float.isNaN(back.params()[7]));
            back.params()[7] = s.params()[7];
            assertArrayEquals(s.params(), back.params());
        }
    }

    @Test
    void theMeanOfTwoSlicesIsTheirExactSumHalvedInSliceOrderWhateverTheUploadOrder() throws Exception {
        RoundState a = state(10, 4), b = state(20, 4);
        float[][] x = {a.params(), a.m(), a.v()}, y = {b.params(), b.m(), b.v()};
        RoundState[] means = new RoundState[2];
        for (int order = 0; order < 2; order++) {
            try (StateServer two = server(2)) {
                two.publish(0, a, INFO);
                if (order == 0) {
                    upload(two, 0, 1, 501, b);
                    upload(two, 0, 0, 500, a);
                } else {
                    upload(two, 0, 0, 500, a);
                    upload(two, 0, 1, 501, b);
                }
                means[order] = mean(two, 0, Map.of(0, 500L, 1, 501L), 8, 7);
            }
        }
        assertEquals(8, means[0].step());
        assertEquals(7, means[0].adamStep());
        float[][] got = {means[0].params(), means[0].m(), means[0].v()};
        float[][] other = {means[1].params(), means[1].m(), means[1].v()};
        for (int k = 0; k < 3; k++) {
            float[] want = new float[N];
            for (int i = 0; i < N; i++) want[i] = (float) (((double) x[k][i] + y[k][i]) / 2);
            want[5] = -0f;
            assertArrayEquals(want, got[k]);
            assertArrayEquals(got[k], other[k], "the same bits whichever slice finished first");
        }
    }

    @Test
    void theMeanOfThreeSlicesAddsInDoubleInSliceOrder() throws Exception {
        RoundState[] s = {state(1, 6), state(2, 6), state(3, 6)};
        s[1].v()[9] = 3e38f; // the double sum does not overflow where a float sum would
        s[2].v()[9] = 3e38f;
        s[0].v()[9] = 3e38f;
        try (StateServer three = server(3)) {
            three.publish(2, s[0], INFO);
            for (int w : new int[] {2, 0, 1}) upload(three, 2, w, 10 + w, s[w]);
            RoundState mean = mean(three, 2, Map.of(0, 10L, 1, 11L, 2, 12L), 6, 6);
            float[] got = mean.v();
            for (int i = 0; i < N; i++) {
                double x = s[0].v()[i];
                x += s[1].v()[i];
                x += s[2].v()[i];
                assertEquals(Float.floatToIntBits((float) (x / 3)), Float.floatToIntBits(got[i]), "index " + i);
            }
            assertEquals(3e38f, got[9]);
        }
    }

    @Test
    void oneSlicesMeanIsItsOwnFloats() throws Exception {
        RoundState a = state(3, 2);
        try (StateServer one = server(1)) {
            one.publish(0, a, INFO);
            upload(one, 0, 0, 9, a);
            RoundState same = mean(one, 0, Map.of(0, 9L), 4, 3);
            assertArrayEquals(a.params(), same.params(), "W = 1: the slice's own floats, as the single-process trainer has them");
            assertArrayEquals(a.m(), same.m());
            assertArrayEquals(a.v(), same.v());
        }
    }

    /** The state of {@code round} as a slice downloads it. */
    static RoundState download(StateServer server, long round) throws IOException {
        INDArray[] r = replica();
        try (StateClient c = new StateClient(server.endpoint(), 0)) {
            StateClient.Header h = c.get(0, round);
            c.readInto(h, r[0], r[1], r[2]);
            return new RoundState(h.step(), h.adamStep(), floats(r[0]), floats(r[1]), floats(r[2]));
        }
    }

    static void assertSameState(RoundState want, RoundState got) {
        assertEquals(want.step(), got.step());
        assertEquals(want.adamStep(), got.adamStep());
        assertArrayEquals(want.params(), got.params());
        assertArrayEquals(want.m(), got.m());
        assertArrayEquals(want.v(), got.v());
    }

    @Test
    void theMeanIsServedAsTheNextRoundWithoutACopyAndStaysIntactDuringThatRound() throws Exception {
        try (StateServer server = server(2)) {
            server.publish(0, state(1, 2), INFO);
            upload(server, 0, 0, 1, state(2, 2));
            upload(server, 0, 1, 2, state(3, 2));
            RoundBuffers next = server.average(0, Map.of(0, 1L, 1, 2L), 4, 3);
            assertTrue(next.finite());
            RoundState mean0 = next.toRoundState();
            server.publish(1, next, INFO);
            assertSameState(mean0, download(server, 1));
            // round 1: its uploads arrive and are averaged; round 0's mean (served for round 1) is not touched, so the
            // driver's checkpoint or validation of round 0, running meanwhile, reads it as it was
            upload(server, 1, 0, 3, state(4, 4));
            upload(server, 1, 1, 4, state(5, 4));
            RoundBuffers after = server.average(1, Map.of(0, 3L, 1, 4L), 6, 5);
            assertFalse(after == next, "the next mean goes into other buffers");
            assertSameState(mean0, next.toRoundState());
            INDArray model = Nd4j.create(DataType.FLOAT, N);
            next.paramsInto(model);
            assertArrayEquals(mean0.params(), floats(model));
            server.publish(2, after, INFO);
            assertSameState(after.toRoundState(), download(server, 2));
        }
    }

    @Test
    void aNonFiniteMeanIsFlaggedInTheSamePassAndNeverServed() throws Exception {
        for (int k = 0; k < 3; k++) {
            try (StateServer server = server(2)) {
                RoundState a = state(1, 2), b = state(2, 2);
                float[][] arrays = {b.params(), b.m(), b.v()};
                arrays[k][N - 1] = k == 1 ? Float.NaN : Float.POSITIVE_INFINITY; // in the last, partial block
                server.publish(0, a, INFO);
                upload(server, 0, 0, 1, a);
                upload(server, 0, 1, 2, b);
                RoundBuffers bad = server.average(0, Map.of(0, 1L, 1, 2L), 4, 3);
                assertFalse(bad.finite(), "array " + k);
                assertThrows(IllegalStateException.class, () -> server.publish(1, bad, INFO));
                assertSameState(a, download(server, 0)); // round 0 is still what is served
                arrays[k][N - 1] = 3e38f; // 3e38 + 3e38 overflows a float sum, not the double one: finite
                a.params()[N - 1] = a.m()[N - 1] = a.v()[N - 1] = 3e38f;
                upload(server, 0, 0, 3, a);
                upload(server, 0, 1, 4, b);
                assertTrue(server.average(0, Map.of(0, 3L, 1, 4L), 4, 3).finite());
            }
        }
    }

    @Test
    void aStaleRoundIsNeitherServedNorTaken() throws Exception {
        RoundState s0 = state(1, 2), s1 = state(2, 4);
        try (StateServer server = server(1)) {
            server.publish(0, s0, INFO);
            upload(server, 0, 0, 1, s0);
            mean(server, 0, Map.of(0, 1L), 4, 3);
            server.publish(1, s1, INFO);
            IOException put = assertThrows(IOException.class, () -> upload(server, 0, 0, 2, s0));
            assertTrue(put.getMessage().contains("round 0"), put.getMessage());
            assertThrows(IllegalStateException.class, () -> mean(server, 1, Map.of(0, 2L), 6, 5));
            upload(server, 1, 0, 3, s1); // the buffers of round 0 are reused
            assertArrayEquals(s1.m(), mean(server, 1, Map.of(0, 3L), 6, 5).m());
            // a re-run span job supersedes generation 0: its fetches are refused as stale
            server.beginSpan(1, 5, true);
            try (StateClient c = new StateClient(server.endpoint(), 0)) {
                IOException get = assertThrows(IOException.class, () -> c.get(0, 1));
                assertTrue(get.getMessage().contains("stale"), get.getMessage());
            }
        }
    }

    @Test
    void aHalfSentUploadIsNeverAveraged() throws Exception {
        RoundState good = state(1, 2);
        try (StateServer server = server(1)) {
            server.publish(0, good, INFO);
            halfUpload(server, 0, 0, 3);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> mean(server, 0, Map.of(0, 3L), 2, 1));
            assertTrue(e.getMessage().contains("slice 0 (task attempt 3)"), e.getMessage());
            // the retry of the very same attempt token (the task re-sent it whole) counts
            upload(server, 0, 0, 3, good);
            assertArrayEquals(good.params(), mean(server, 0, Map.of(0, 3L), 2, 1).params());
        }
    }

    @Test
    void aRetryWithANewAttemptReplacesNothingUntilAveragedWithItsToken() throws Exception {
        RoundState lost = state(99, 2), retry = state(1, 2), other = state(5, 2);
        try (StateServer server = server(2)) {
            server.publish(0, retry, INFO);
            upload(server, 0, 0, 1, lost); // an attempt Spark lost after it uploaded
            upload(server, 0, 1, 2, other);
            upload(server, 0, 0, 4, retry); // slice 0's retry
            RoundState withRetry = mean(server, 0, Map.of(0, 4L, 1, 2L), 2, 1);
            RoundState withLost = mean(server, 0, Map.of(0, 1L, 1, 2L), 2, 1);
            for (int i = 0; i < N; i += 997) {
                assertEquals((float) (((double) retry.params()[i] + other.params()[i]) / 2), withRetry.params()[i]);
                assertEquals((float) (((double) lost.params()[i] + other.params()[i]) / 2), withLost.params()[i]);
            }
            assertThrows(IllegalStateException.class, () -> mean(server, 0, Map.of(0, 4L), 2, 1), "every slice is needed");
        }
    }

    @Test
    void aConnectionWithoutTheRunsSecretIsClosedAndCounted() throws Exception {
        RoundState s = state(1, 2);
        try (StateServer server = server(1)) {
            server.publish(0, s, INFO);
            StateClient.Endpoint real = server.endpoint();
            byte[] wrong = real.secret().clone();
            wrong[0] ^= 1;
            StateClient.Endpoint forged = new StateClient.Endpoint(real.address(), wrong);
            try (StateClient c = new StateClient(forged, 0)) {
                IOException e = assertThrows(IOException.class, () -> c.get(0, 0));
                assertTrue(e.getMessage().contains("secret"), e.getMessage());
            }
            assertThrows(IOException.class, () -> upload(forged, 0, 0, 1, s));
            assertThrows(IllegalStateException.class, () -> mean(server, 0, Map.of(0, 1L), 2, 1));
            // no secret at all: a request straight away
            String[] hp = real.address().split(":");
            try (Socket raw = new Socket(hp[0], Integer.parseInt(hp[1]))) {
                OutputStream out = raw.getOutputStream();
                out.write(ByteBuffer.allocate(DriverServers.SECRET_BYTES).put(StateServer.GET).array());
                out.flush();
                assertEquals(-1, raw.getInputStream().read(), "closed without an answer");
            }
            assertEquals(3, server.refusedConnections());
            assertFalse(real.toString().contains(java.util.Arrays.toString(real.secret())), "toString leaves the secret out");
            upload(server, 0, 0, 1, s); // the real secret still works
            assertArrayEquals(s.v(), mean(server, 0, Map.of(0, 1L), 2, 1).v());
        }
    }

    @Test
    void unreachableOrUnusableAddressesNameTheConfigKeys() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        StateClient.Endpoint nowhere = new StateClient.Endpoint("127.0.0.1:" + port, new byte[DriverServers.SECRET_BYTES]);
        IOException connect = assertThrows(IOException.class, () -> new StateClient(nowhere, 1));
        assertTrue(connect.getMessage().contains("127.0.0.1:" + port) && connect.getMessage().contains("train.exchange_host")
                && connect.getMessage().contains("train.exchange_port"), connect.getMessage());
        try (StateServer taken = server(1)) {
            int used = Integer.parseInt(taken.endpoint().address().split(":")[1]);
            IOException bind = assertThrows(IOException.class, () -> new StateServer("127.0.0.1", used, 1));
            assertTrue(bind.getMessage().contains("train.exchange_port"), bind.getMessage());
        }
        IOException wildcard = assertThrows(IOException.class, () -> new StateServer("0.0.0.0", 0, 1));
        assertTrue(wildcard.getMessage().contains("train.exchange_host"), wildcard.getMessage());
        try (StateServer fixed = new StateServer("127.0.0.1", port, 1)) {
            assertEquals("127.0.0.1:" + port, fixed.endpoint().address(), "a configured port is used as it is");
        }
    }

    @Test
    void theExchangeKeysAreValidated() {
        RunConfig d = RunConfig.parse("", java.util.List.of("train.data=x"));
        assertEquals(null, d.train().exchangeHost());
        assertEquals(0, d.train().exchangePort());
        RunConfig set = RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_host=10.0.0.5", "train.exchange_port=41000"));
        assertEquals("10.0.0.5", set.train().exchangeHost());
        assertEquals(41000, set.train().exchangePort());
        ConfigException port = assertThrows(ConfigException.class,
                () -> RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_port=70000")));
        assertTrue(port.getMessage().contains("train.exchange_port must be in [0, 65535]"), port.getMessage());
        ConfigException last = assertThrows(ConfigException.class, // the global all-reduce takes exchange_port + 1
                () -> RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_port=65535")));
        assertTrue(last.getMessage().contains("exchange_port + 1"), last.getMessage());
        assertEquals(65535, RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_port=65535",
                "train.entropy_reg_mode=local")).train().exchangePort());
        ConfigException host = assertThrows(ConfigException.class,
                () -> RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_host=\" \"")));
        assertTrue(host.getMessage().contains("train.exchange_host"), host.getMessage());
        ConfigException typo = assertThrows(ConfigException.class,
                () -> RunConfig.parse("", java.util.List.of("train.data=x", "train.exchange_prot=1")));
        assertTrue(typo.getMessage().contains("exchange_port"), typo.getMessage());
    }

    /** A PUT whose connection closes after part of the parameters. */
    static void halfUpload(StateServer server, long round, int slice, long attempt) throws Exception {
        StateClient.Endpoint e = server.endpoint();
        String[] hp = e.address().split(":");
        try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1])); OutputStream out = s.getOutputStream()) {
            ByteBuffer b = ByteBuffer.allocate(DriverServers.SECRET_BYTES + 37 + 4000).order(ByteOrder.LITTLE_ENDIAN);
            b.put(e.secret()).put(StateServer.PUT).putLong(0).putLong(round).putInt(slice).putLong(attempt).putInt(N).putInt(100);
            out.write(b.array());
            out.flush();
        }
        Thread.sleep(200); // the server notices the end of stream
    }
}
