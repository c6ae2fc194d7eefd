package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The driver's round-state exchange: bit-exact transport into native memory, exact means, only the successful attempts. */
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

    static float[] floats(INDArray a) { return SliceTask.get(a); }

    /** A replica holding {@code s}, uploaded as the given slice's attempt. */
    static void upload(StateServer server, long round, int slice, long attempt, RoundState s) throws IOException {
        INDArray[] r = replica();
        SliceTask.put(r[0], s.params());
        SliceTask.put(r[1], s.m());
        SliceTask.put(r[2], s.v());
        StateClient.put(server.address(), round, slice, attempt, r[0], r[1], r[2]);
    }

    @Test
    void aSliceDownloadsTheStateBitForBitIntoItsArrays() throws Exception {
        try (StateServer server = new StateServer("127.0.0.1", 2)) {
            RoundState s = state(1, 30);
            s.params()[7] = Float.NaN;
            s.v()[8] = Float.NEGATIVE_INFINITY;
            server.publish(3, s);
            INDArray[] r = replica();
            try (StateClient c = new StateClient(server.address(), 0)) {
                StateClient.Header h = c.get(3);
                assertEquals(new StateClient.Header(30, 29, N), h);
                c.readInto(h, r[0], r[1], r[2]);
            }
            assertArrayEquals(s.params(), floats(r[0]));
            assertArrayEquals(s.m(), floats(r[1]));
            assertArrayEquals(s.v(), floats(r[2]));
        }
    }

    @Test
    void theMeanOfTwoSlicesIsTheirExactDoubleSumHalvedAndOneSliceIsItself() throws Exception {
        RoundState a = state(10, 4), b = state(20, 4);
        try (StateServer two = new StateServer("127.0.0.1", 2); StateServer one = new StateServer("127.0.0.1", 1)) {
            two.publish(0, a);
            upload(two, 0, 1, 501, b); // finishing order does not matter
            upload(two, 0, 0, 500, a);
            RoundState mean = two.average(0, Map.of(0, 500L, 1, 501L), 8, 7);
            assertEquals(8, mean.step());
            assertEquals(7, mean.adamStep());
            float[][] x = {a.params(), a.m(), a.v()}, y = {b.params(), b.m(), b.v()}, got = {mean.params(), mean.m(), mean.v()};
            for (int k = 0; k < 3; k++) {
                float[] want = new float[N];
                for (int i = 0; i < N; i++) want[i] = (float) (((double) x[k][i] + y[k][i]) / 2);
                want[5] = -0f;
                assertArrayEquals(want, got[k]);
            }
            one.publish(0, a);
            upload(one, 0, 0, 9, a);
            RoundState same = one.average(0, Map.of(0, 9L), 4, 3);
            assertArrayEquals(a.params(), same.params(), "W = 1: the slice's own floats, as the single-process trainer has them");
            assertArrayEquals(a.v(), same.v());
        }
    }

    @Test
    void onlyTheAttemptsSparkReturnedAreAveraged() throws Exception {
        RoundState good = state(1, 2), bad = state(99, 2);
        try (StateServer server = new StateServer("127.0.0.1", 1)) {
            server.publish(0, good);
            upload(server, 0, 0, 1, bad); // a lost attempt that got as far as its upload
            halfUpload(server, 0, 0, 3); // an attempt killed mid-upload
            upload(server, 0, 0, 2, good); // its retry
            assertArrayEquals(good.params(), server.average(0, Map.of(0, 2L), 2, 1).params());
            assertArrayEquals(bad.params(), server.average(0, Map.of(0, 1L), 2, 1).params());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> server.average(0, Map.of(0, 3L), 2, 1));
            assertTrue(e.getMessage().contains("slice 0 (task attempt 3)"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> server.average(0, Map.of(), 2, 1));
            // next round: the old uploads' buffers are reused, and round 0 is no longer served or taken
            server.publish(1, bad);
            upload(server, 1, 0, 4, bad);
            assertArrayEquals(bad.m(), server.average(1, Map.of(0, 4L), 3, 2).m());
            assertThrows(IOException.class, () -> upload(server, 0, 0, 5, good));
            try (StateClient c = new StateClient(server.address(), 0)) {
                assertThrows(IOException.class, () -> c.get(0));
            }
        }
    }

    /** A PUT whose connection closes after part of the parameters. */
    static void halfUpload(StateServer server, long round, int slice, long attempt) throws Exception {
        String[] hp = server.address().split(":");
        try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1])); OutputStream out = s.getOutputStream()) {
            ByteBuffer b = ByteBuffer.allocate(25 + 4000).order(ByteOrder.LITTLE_ENDIAN);
            b.put(StateServer.PUT).putLong(round).putInt(slice).putLong(attempt).putInt(N);
            out.write(b.array());
            out.flush();
        }
        Thread.sleep(200); // the server notices the end of stream
    }
}
