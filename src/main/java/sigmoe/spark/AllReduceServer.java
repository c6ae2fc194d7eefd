package sigmoe.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small sum-all-reduce on the driver for the slices' per-step exchange (the σ-MoE regulariser's softmax sums).
 * Spark's BarrierTaskContext.allGather would do, but it polls its RPC future with a 1-second sleep
 * (measured: ~0.7 s per step), so every step would cost a second. Each slice task keeps one TCP connection for its
 * round and sends (key, slice, values); when all W slices of a key have arrived, every one gets the sum, added in
 * slice order so the result does not depend on arrival order. Keys carry the stage attempt, so a retried stage
 * never mixes with the failed one. Like the round-state exchange it listens on train.exchange_host and admits a
 * connection only after it sent the run's secret ({@link DriverServers}): a value from anyone else would go into
 * every slice's gradient.
 */
final class AllReduceServer implements Closeable {
    static final String NAME = "all-reduce (global entropy regulariser)";
    private final ServerSocket server;
    private final int workers;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sigmoe-allreduce");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Pending> pending = new HashMap<>();
    private final byte[] secret;
    private final DriverServers.Gate gate;

    /** Listens on {@code host} (any free port) for the {@code workers} slices of the run whose secret is given. */
    AllReduceServer(String host, int workers, byte[] secret) throws IOException {
        this(host, 0, workers, secret);
    }

    /**
     * As above on a given port (0 = any free port): the trainer uses train.exchange_port + 1 when that port is fixed,
     * so a firewalled cluster opens two known ports.
     */
    AllReduceServer(String host, int port, int workers, byte[] secret) throws IOException {
        this.workers = workers;
        this.gate = new DriverServers.Gate(secret, NAME);
        this.secret = secret.clone();
        InetAddress addr = DriverServers.listenAddress(host, NAME);
        this.server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(addr, port));
        } catch (IOException e) {
            server.close();
            throw new IOException("the driver's " + NAME + " cannot listen on " + host + ":" + port
                    + " (train.exchange_host; a fixed train.exchange_port P puts it on P + 1): " + e.getMessage(), e);
        }
        pool.execute(this::accept);
    }

    /** What a slice task needs to reach this all-reduce: its address and the run's secret. */
    StateClient.Endpoint endpoint() {
        return new StateClient.Endpoint(server.getInetAddress().getHostAddress() + ":" + server.getLocalPort(), secret.clone());
    }

    /** Connections closed for a wrong or missing secret so far. */
    int refusedConnections() { return gate.refused(); }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                pool.execute(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        if (!gate.admit(s)) {
            try {
                s.close();
            } catch (IOException e) {
                // closing a refused connection: nothing more to do
            }
            return;
        }
        try (s; DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
            while (true) {
                String key = in.readUTF();
                int slice = in.readInt(), n = in.readInt();
                if (slice < 0 || slice >= workers || n < 0 || n > (1 << 24))
                    throw new IOException("bad all-reduce message: slice " + slice + ", length " + n);
                double[] v = new double[n];
                for (int i = 0; i < n; i++) v[i] = in.readDouble();
                double[] sum = contribute(key, slice, v);
                out.writeInt(sum.length);
                for (double x : sum) out.writeDouble(x);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the task finished (EOF) or was killed; its pending contributions die with the stage attempt
        }
    }

    private double[] contribute(String key, int slice, double[] v) throws InterruptedException {
        Pending p;
        synchronized (pending) {
            p = pending.computeIfAbsent(key, k -> new Pending(workers));
        }
        synchronized (p) {
            p.parts[slice] = v;
            if (++p.arrived == workers) {
                double[] sum = new double[v.length];
                for (double[] part : p.parts) for (int i = 0; i < sum.length; i++) sum[i] += part[i];
                p.sum = sum;
                p.notifyAll();
                synchronized (pending) { pending.remove(key); }
            }
            while (p.sum == null) p.wait();
            return p.sum;
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }

    private static final class Pending {
        final double[][] parts;
        int arrived;
        double[] sum;

        Pending(int w) { parts = new double[w][]; }
    }
}
