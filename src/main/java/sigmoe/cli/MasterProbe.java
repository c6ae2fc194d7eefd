package sigmoe.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that a standalone master (spark://HOST:PORT[,HOST:PORT...]) accepts connections before a SparkContext is
 * created: Spark's own client retries the registration for about a minute and then says only "All masters are
 * unresponsive". One plain TCP connect per host, a few seconds each; any reachable host is enough (the others may be
 * standby masters). Other masters (local, yarn, k8s://, mesos://) are not probed.
 */
final class MasterProbe {
    /** Connect timeout per master host, ms (system property; default 5000). */
    static final String TIMEOUT_PROPERTY = "sigmoe.master.probe_timeout_ms";

    private MasterProbe() {}

    /** Throws an IllegalStateException naming the URL, what failed and what to check when no master host answers. */
    static void check(String master) {
        if (!master.startsWith("spark://")) return;
        int timeout = Integer.getInteger(TIMEOUT_PROPERTY, 5000);
        List<String> failures = new ArrayList<>();
        for (InetSocketAddress u : hosts(master)) {
            InetSocketAddress a = new InetSocketAddress(u.getHostString(), u.getPort()); // resolves the name
            try (Socket s = new Socket()) {
                if (a.isUnresolved()) throw new UnknownHostException(a.getHostString());
                s.connect(a, timeout);
                return;
            } catch (UnknownHostException e) {
                failures.add(a.getHostString() + ": unknown host");
            } catch (SocketTimeoutException e) {
                failures.add(a.getHostString() + ":" + a.getPort() + ": no answer within " + timeout + " ms");
            } catch (IOException e) {
                failures.add(a.getHostString() + ":" + a.getPort() + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("the standalone master " + master + " cannot be reached (" + String.join("; ", failures)
                + "); check the host and port in the master URL (--master, train.master or spark.master), that the master "
                + "runs ($SPARK_HOME/sbin/start-master.sh; its web UI shows the spark:// URL to use) and that no firewall "
                + "blocks the port");
    }

    /** The HOST:PORT pairs of a spark:// URL; a malformed one is an IllegalArgumentException saying the form. */
    static List<InetSocketAddress> hosts(String master) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String hp : master.substring("spark://".length()).split(",", -1)) { // -1: a trailing comma is an empty entry
            int colon = hp.lastIndexOf(':');
            String host = colon > 0 ? hp.substring(0, colon) : "";
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1); // IPv6
            int port = -1;
            try {
                if (colon > 0) port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (host.isEmpty() || port < 1 || port > 65535)
                throw new IllegalArgumentException("'" + master + "' is not a standalone master URL: each master is HOST:PORT, "
                        + "as in spark://master1:7077 or spark://master1:7077,master2:7077 (got '" + hp + "')");
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        return out;
    }
}
