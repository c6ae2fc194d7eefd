package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The driver's all-reduce for the global regulariser: slice-order sums for every step, only for the run's secret. */
class AllReduceTest {
    static byte[] secret() {
        byte[] s = new byte[DriverServers.SECRET_BYTES];
        new SecureRandom().nextBytes(s);
        return s;
    }

    @Test
    void everySliceGetsTheSumInSliceOrderForEveryStep() throws Exception {
        int w = 3;
        try (AllReduceServer server = new AllReduceServer("127.0.0.1", w, secret())) {
            ExecutorService pool = Executors.newFixedThreadPool(w);
            List<Future<List<double[]>>> results = new ArrayList<>();
            for (int s = 0; s < w; s++) {
                int slice = s;
                results.add(pool.submit(() -> {
                    List<double[]> got = new ArrayList<>();
                    try (AllReduceClient c = new AllReduceClient(server.endpoint(), slice)) {
                        for (int step = 0; step < 20; step++) {
                            if (slice == 1) Thread.sleep(step % 3); // arrival order varies
                            got.add(c.sum(step, new double[] {slice + step, 1e16 * (slice == 0 ? 1 : 0), slice == 2 ? 1 : 0}));
                        }
                    }
                    return got;
                }));
            }
            for (Future<List<double[]>> f : results) {
                List<double[]> got = f.get();
                for (int step = 0; step < 20; step++) {
                    // slice order: (1e16 + 0) + 0 for the second entry; 0 + 0 + 1 for the third
                    assertArrayEquals(new double[] {3 + 3 * step, 1e16, 1}, got.get(step));
                }
            }
            pool.shutdown();
            assertEquals(0, server.refusedConnections());
        }
    }

    @Test
    void aWrongSecretIsRefusedBeforeItsValuesCountAndTheRealOneStillWorks() throws Exception {
        try (AllReduceServer server = new AllReduceServer("127.0.0.1", 1, secret())) {
            StateClient.Endpoint real = server.endpoint();
            byte[] wrong = real.secret().clone();
            wrong[DriverServers.SECRET_BYTES - 1] ^= 1;
            for (int i = 0; i < 2; i++) { // the second refusal from the same address is counted, not logged again
                try (AllReduceClient forged = new AllReduceClient(new StateClient.Endpoint(real.address(), wrong), 0)) {
                    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> forged.sum(0, new double[] {1e30}));
                    assertTrue(e.getMessage().contains("secret"), e.getMessage());
                }
            }
            assertEquals(2, server.refusedConnections());
            try (AllReduceClient c = new AllReduceClient(real, 0)) {
                assertArrayEquals(new double[] {2}, c.sum(0, new double[] {2}), "the forged 1e30 never entered a sum");
            }
            assertEquals(2, server.refusedConnections());
        }
    }

    @Test
    void itListensOnlyOnASpecificAddressNamingTheConfigKey() {
        IOException e = assertThrows(IOException.class, () -> new AllReduceServer("0.0.0.0", 2, secret()));
        assertTrue(e.getMessage().contains("train.exchange_host") && e.getMessage().contains("all-reduce"), e.getMessage());
    }

    @Test
    void listensOnTheGivenPortWhenOneIsFixed() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) { port = probe.getLocalPort(); }
        try (AllReduceServer server = new AllReduceServer("127.0.0.1", port, 1, secret())) {
            assertEquals("127.0.0.1:" + port, server.endpoint().address());
        }
    }
}
