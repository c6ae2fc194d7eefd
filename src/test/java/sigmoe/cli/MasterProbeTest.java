package sigmoe.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A standalone master that cannot be reached fails in seconds with a message naming it and what to check. */
class MasterProbeTest {
    static int unusedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void anUnreachableMasterFailsAtOnceNamingTheUrlAndTheFix() throws Exception {
        String url = "spark://127.0.0.1:" + unusedPort();
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SparkContexts.start(url, "probe"));
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().contains(url) && e.getMessage().contains("cannot be reached")
                && e.getMessage().contains("start-master.sh") && e.getMessage().contains("--master"), e.getMessage());
        assertTrue(s < 30, "failed after " + s + " s, not after Spark's minute of retries");
    }

    @Test
    void aListeningMasterPassesAndOneReachableHostOfSeveralIsEnough() throws Exception {
        try (ServerSocket master = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            int port = master.getLocalPort();
            assertDoesNotThrow(() -> MasterProbe.check("spark://127.0.0.1:" + port));
            assertDoesNotThrow(() -> MasterProbe.check("spark://127.0.0.1:" + unusedPort() + ",127.0.0.1:" + port));
        }
        IllegalStateException unknown = assertThrows(IllegalStateException.class,
                () -> MasterProbe.check("spark://no-such-host.invalid:7077"));
        assertTrue(unknown.getMessage().contains("no-such-host.invalid: unknown host"), unknown.getMessage());
    }

    @Test
    void malformedStandaloneUrlsSayTheForm() {
        for (String bad : new String[] {"spark://master", "spark://master:port", "spark://:7077", "spark://m:7077,", "spark://m:70770"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MasterProbe.check(bad), bad);
            assertTrue(e.getMessage().contains("spark://master1:7077"), e.getMessage());
        }
        assertEquals(2, MasterProbe.hosts("spark://[::1]:7077,h:7078").size());
        assertDoesNotThrow(() -> MasterProbe.check("yarn"));
        assertDoesNotThrow(() -> MasterProbe.check("local[2]"));
    }
}
