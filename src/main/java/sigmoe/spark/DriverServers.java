package sigmoe.spark;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the driver's two servers for the slice tasks (the round-state exchange, {@link StateServer}, and the global
 * regulariser's all-reduce, {@link AllReduceServer}) share: they listen on train.exchange_host, never a wildcard
 * (the executors connect to the very address listened on), and admit a connection only after it has sent the run's
 * secret. The secret is random per run and reaches the tasks inside the task closure (protected by Spark when
 * spark.authenticate and network encryption are on); anyone else who can reach the port is closed out before it can
 * read a parameter or feed a value into the training.
 */
final class DriverServers {
    static final int SECRET_BYTES = 32;
    /** How long a new connection may take to send the secret: a silent peer must not hold a thread for ever. */
    static final int SECRET_TIMEOUT_MS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(DriverServers.class);

    private DriverServers() {}

    /** The address a driver server called {@code what} listens on: {@code host}, which must be a specific address. */
    static InetAddress listenAddress(String host, String what) throws IOException {
        InetAddress addr;
        try {
            addr = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IOException("the driver's " + what + " cannot listen on unknown host '" + host + "'; set "
                    + "train.exchange_host to an address of the driver that executors can reach", e);
        }
        if (addr.isAnyLocalAddress())
            throw new IOException("train.exchange_host = '" + host + "' is a wildcard address, but executors connect to the "
                    + "address the driver's " + what + " listens on; name one of the driver's addresses that they can reach");
        return addr;
    }

    /** The secret check of one server: constant-time comparison, refusals counted, each refused peer logged once. */
    static final class Gate {
        private final byte[] secret;
        private final String what;
        private final Set<String> loggedPeers = new HashSet<>();
        private final AtomicInteger refused = new AtomicInteger();

        Gate(byte[] secret, String what) {
            if (secret.length != SECRET_BYTES)
                throw new IllegalArgumentException("the run's secret has " + secret.length + " bytes, expected " + SECRET_BYTES);
            this.secret = secret.clone();
            this.what = what;
        }

        /** Connections closed for a wrong or missing secret so far. */
        int refused() { return refused.get(); }

        /**
         * Reads the secret from a freshly accepted connection (with a time limit, restored afterwards: the socket's
         * stream honours SO_TIMEOUT, a channel does not) and compares it in constant time. False on a mismatch, an
         * early end or a timeout: the caller closes the connection without reading or writing anything else.
         */
        boolean admit(Socket s) {
            byte[] got = new byte[SECRET_BYTES];
            int n = 0;
            try {
                int before = s.getSoTimeout();
                s.setSoTimeout(SECRET_TIMEOUT_MS);
                InputStream in = s.getInputStream(); // unbuffered: the requests that follow stay in the socket
                n = in.readNBytes(got, 0, SECRET_BYTES);
                s.setSoTimeout(before);
            } catch (IOException e) {
                // a timeout or a reset: refused below as a missing secret
            }
            if (n == SECRET_BYTES && MessageDigest.isEqual(secret, got)) return true;
            refused.incrementAndGet();
            String peer = s.getRemoteSocketAddress() instanceof InetSocketAddress a && a.getAddress() != null
                    ? a.getAddress().getHostAddress() : "an unknown peer";
            boolean first;
            synchronized (loggedPeers) {
                first = loggedPeers.add(peer);
            }
            if (first)
                LOG.warn("{}: closed a connection from {} that did not send this run's secret ({}); further refusals from "
                        + "that address are not logged", what, peer, n == SECRET_BYTES ? "a wrong one" : "none, or too short");
            return false;
        }
    }
}
