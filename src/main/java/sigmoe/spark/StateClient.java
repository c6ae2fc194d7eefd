package sigmoe.spark;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A slice task's side of the driver's {@link StateServer}: the round state is read straight from the socket into the
 * replica's parameter and Adam buffers (ND4J's native memory), and the replica's state is written back from there, so
 * an executor copies nothing in Java. A killed task's blocking I/O ends with the interrupt.
 */
final class StateClient implements Closeable {
    /** How long a connection attempt to the driver may take before the task fails. */
    static final int CONNECT_TIMEOUT_MS = 30_000;

    /**
     * The round served, its state's counters, the round's local steps and checkpoint directory (null when the round is
     * no checkpoint), read before its arrays (the replica is found or built in between).
     */
    record Header(long round, long step, long adamStep, int steps, String checkpointDir, int n) {}

    /** The driver's exchange as the tasks see it: host:port and the run's secret (which toString leaves out). */
    record Endpoint(String address, byte[] secret) implements Serializable {
        @Override
        public String toString() { return address; }
    }

    private final SocketChannel channel;
    private final String address;

    StateClient(Endpoint exchange, int slice) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) // the bytes go to native memory as they are
            throw new IllegalStateException("the round-state exchange needs little-endian executors; this one is "
                    + ByteOrder.nativeOrder());
        address = exchange.address();
        int colon = address.lastIndexOf(':');
        channel = SocketChannel.open();
        try {
            channel.socket().connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    CONNECT_TIMEOUT_MS);
            channel.socket().setTcpNoDelay(true);
            write(channel, ByteBuffer.wrap(exchange.secret()));
        } catch (IOException e) {
            channel.close();
            throw new IOException("slice " + slice + " cannot connect to the driver's round-state exchange at " + address
                    + " (" + e + "): executors must reach the driver there, as they reach spark.driver.port; set "
                    + StateServer.KEYS + " to an address and port of the driver that executors can reach", e);
        }
    }

    /**
     * Asks for the first round at or after {@code minRound} that the driver publishes, as a task of the span job of
     * {@code generation}, and waits for it; null when that span is over (its task returns). Its arrays follow with
     * {@link #readInto}.
     */
    Header get(long generation, long minRound) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        int status;
        try {
            write(channel, b.put(StateServer.GET).putLong(generation).putLong(minRound).flip());
            read(channel, b.clear().limit(4), false);
            status = b.getInt(0);
            if (status == StateServer.OK) read(channel, b.clear().limit(32), false);
        } catch (IOException e) {
            throw closed(e);
        }
        if (status == StateServer.SPAN_END) return null;
        if (status != StateServer.OK)
            throw new IOException("the driver no longer serves rounds to span job " + generation + " (a stale task attempt)");
        int dirBytes = b.getInt(28);
        long round = b.getLong(0), step = b.getLong(8), adamStep = b.getLong(16);
        int steps = b.getInt(24);
        String dir = null;
        if (dirBytes >= 0) {
            ByteBuffer d = ByteBuffer.allocate(dirBytes);
            read(channel, d, false);
            dir = new String(d.array(), java.nio.charset.StandardCharsets.UTF_8);
        }
        read(channel, b.clear().limit(4), false);
        return new Header(round, step, adamStep, steps, dir, b.getInt(0));
    }

    /** Reads the parameters, Adam m and Adam v of the state just announced into these flat FLOAT arrays. */
    void readInto(Header h, INDArray params, INDArray m, INDArray v) throws IOException {
        try {
            for (INDArray a : new INDArray[] {params, m, v}) read(channel, bytes(a, h.n()), false);
        } finally {
            Reference.reachabilityFence(params);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(v);
        }
    }

    /**
     * Sends this slice attempt's state for {@code round} and its round report over this connection: the header, the
     * driver's go-ahead, the three arrays and the report, the driver's receipt.
     */
    void put(long generation, long round, int slice, long token, INDArray params, INDArray m, INDArray v, byte[] report)
            throws IOException {
        int n = (int) params.length();
        ByteBuffer b = ByteBuffer.allocate(37).order(ByteOrder.LITTLE_ENDIAN);
        try {
            write(channel, b.put(StateServer.PUT).putLong(generation).putLong(round).putInt(slice).putLong(token).putInt(n)
                    .putInt(report.length).flip());
            read(channel, b.clear().limit(4), false); // accepted or refused before any array is sent
            if (b.getInt(0) == StateServer.OK) {
                for (INDArray a : new INDArray[] {params, m, v}) write(channel, bytes(a, n));
                write(channel, ByteBuffer.wrap(report));
                read(channel, b.clear().limit(4), false); // the receipt: the whole state arrived
            }
        } catch (IOException e) {
            throw closed(e);
        } finally {
            Reference.reachabilityFence(params);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(v);
        }
        if (b.getInt(0) != StateServer.OK)
            throw new IOException("the driver refused slice " + slice + "'s state of round " + round + " with " + n
                    + " values per array (a stale task attempt, or a state of another model)");
    }

    /** {@link #put} on a connection of its own. */
    static void put(Endpoint exchange, long generation, long round, int slice, long token, INDArray params, INDArray m, INDArray v,
                    byte[] report) throws IOException {
        try (StateClient c = new StateClient(exchange, slice)) {
            c.put(generation, round, slice, token, params, m, v, report);
        }
    }

    /** The driver ended the connection before answering: the exchange closed (run over) or refused the secret. */
    private IOException closed(IOException e) {
        return new IOException("the driver's round-state exchange at " + address + " ended the connection (" + e.getMessage()
                + "): the run ended or moved on to another round, or this task does not hold the run's secret", e);
    }

    /**
     * The first {@code n} floats of a flat FLOAT array, as bytes of its native memory; callers keep {@code a} reachable
     * (Reference.reachabilityFence) while they use the view.
     */
    private static ByteBuffer bytes(INDArray a, int n) throws IOException {
        if (a.length() != n)
            throw new IOException("the round state has " + n + " values per array but the replica's array has " + a.length());
        return a.data().asNio().clear().limit(Math.multiplyExact(n, Float.BYTES));
    }

    /** Fills {@code b}; false at an end of stream before its first byte when {@code eofOk}, else EOF is an error. */
    static boolean read(SocketChannel c, ByteBuffer b, boolean eofOk) throws IOException {
        boolean first = true;
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                if (first && eofOk) return false;
                throw new EOFException("the round-state connection closed mid-message");
            }
            first = false;
        }
        return true;
    }

    static void write(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) c.write(b);
    }

    @Override
    public void close() throws IOException { channel.close(); }
}
