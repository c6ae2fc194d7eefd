package sigmoe.spark;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The round state's exchange on the driver: it serves each round's averaged parameters and Adam moments to the slice
 * tasks and receives their states back, as raw little-endian floats over plain TCP ({@link StateClient}). Spark's
 * broadcast and task-result paths carried the same bytes at about ten times the CPU (serialisation layers, block
 * manager round trips, netty frame assembly; docs/performance.md, "Session 3 — Spark rounds"), and at small sizes
 * that CPU was most of a round's time outside the compute.
 *
 * <p>Slice tasks live for a span of rounds (one Spark job, train.rounds_per_job): after uploading round r a task asks
 * for round r + 1 and waits here until the driver has averaged and published it, so Spark's per-job machinery is
 * paid once per span instead of once per round. Each span's job has a generation number; the driver registers the
 * last round its tasks may fetch, and can end a span early (a task failed and its retry needs a slot: the others
 * return instead of waiting) or supersede a generation (a barrier stage re-run from the published state).
 *
 * <p>Uploads are kept per (slice, task attempt) together with the attempt's round report ({@link SliceResult.SliceOutput}).
 * For each slice the driver averages the first complete upload of the round from a live generation, so a lost
 * attempt that half-uploaded never counts, and a retry downloads the same round state again. The mean
 * ({@link RoundMean}) is written straight into the buffers the next round is served from, so a round allocates
 * nothing and copies the state once; the driver holds 2 + W copies of the state (12 bytes per parameter each) in
 * direct memory.
 *
 * <p>Every connection first sends the run's secret (random, created here, shipped to the tasks inside the task
 * closure; {@link DriverServers}); a connection with another or no secret is closed before it can read or write any
 * state, and its peer is logged once.
 *
 * <p>Wire (little-endian): the secret (32 bytes), then requests. GET: 'G', generation (8), first acceptable round (8)
 * → status (4) once that round is published, and when OK the round (8), step (8), Adam step (8), local steps (4),
 * the checkpoint directory (4 + UTF-8 bytes, length -1 when none), n (4) and the n floats of the parameters, Adam m
 * and Adam v. PUT: 'P', generation (8), round (8), slice (4), task attempt (8), n (4), report length (4) → status
 * (4); when OK the three arrays of n floats and the report → status (4), the receipt.
 */
final class StateServer implements Closeable {
    static final byte GET = 'G', PUT = 'P';
    static final int OK = 0, REJECTED = 1, SPAN_END = 2;
    /** Largest round report accepted (expert counts of every layer, a fault message): a bound on what a peer can make us hold. */
    static final int MAX_REPORT_BYTES = 1 << 24;
    static final String KEYS = "train.exchange_host / train.exchange_port";
    static final String NAME = "round-state exchange";

    private final ServerSocketChannel server;
    private final int workers;
    private final byte[] secret = new byte[DriverServers.SECRET_BYTES];
    private final DriverServers.Gate gate;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sigmoe-state");
        t.setDaemon(true);
        return t;
    });
    private final Object lock = new Object();
    private long round = -1;
    /**
     * The state served for {@link #round}, and the one before it: the next round's state is written into the latter
     * (only a stale attempt of the round before last can still be reading it, and its upload is never averaged).
     */
    private RoundBuffers current, previous;
    private RoundInfo info;
    private final List<Upload> uploads = new ArrayList<>();
    /** Generation (one per span job) → the last round its tasks may fetch; absent: superseded or unknown. */
    private final Map<Long, Long> spanLast = new HashMap<>();
    /** Uploads of older generations (a barrier stage that was re-run) are never averaged. */
    private long liveGeneration;
    private long arrivals;
    private boolean closed;

    /** What a round's tasks do besides the state: its local steps, and where to write their state when it is a checkpoint. */
    record RoundInfo(int steps, String checkpointDir) {}

    /** The first complete upload of each slice for a round: which attempt (slice → token) and the slices' reports in slice order. */
    record Arrived(Map<Integer, Long> tokens, List<SliceResult.SliceOutput> outputs) {}

    /**
     * Listens on {@code host}:{@code port} (0 = any free port) for the {@code workers} slices of one run. The host is
     * also the address the executors connect to, so it must be one of the driver's addresses that they can reach.
     */
    StateServer(String host, int port, int workers) throws IOException {
        this.workers = workers;
        InetAddress addr = DriverServers.listenAddress(host, NAME);
        new SecureRandom().nextBytes(secret);
        gate = new DriverServers.Gate(secret, NAME);
        this.server = ServerSocketChannel.open();
        try {
            server.socket().setReuseAddress(true); // a fixed port is free again at once after the previous run
            server.bind(new InetSocketAddress(addr, port));
        } catch (IOException e) {
            server.close();
            throw new IOException("the driver's " + NAME + " cannot listen on " + host + ":" + port + " (" + KEYS
                    + "): " + e.getMessage() + (e instanceof BindException && port != 0 ? "; choose a free port, or 0 for any" : ""), e);
        }
        pool.execute(this::accept);
    }

    /** What a slice task needs to reach this exchange: its address and the run's secret. */
    StateClient.Endpoint endpoint() throws IOException {
        InetSocketAddress a = (InetSocketAddress) server.getLocalAddress();
        return new StateClient.Endpoint(a.getAddress().getHostAddress() + ":" + a.getPort(), secret.clone());
    }

    /** Connections closed for a wrong or missing secret so far. */
    int refusedConnections() { return gate.refused(); }

    /** Serves a copy of {@code s} as the state of {@code round} from now on (the first round's, or a resumed one). */
    void publish(long round, RoundState s, RoundInfo info) {
        RoundBuffers p = spare(s.params().length);
        p.fill(s); // outside the lock: see spare()
        publish(round, p, info);
    }

    /**
     * Serves {@code next}, which {@link #average} returned, as the state of {@code round} from now on, without a copy;
     * earlier rounds' requests are rejected. It must be finite: a non-finite average is never served.
     */
    void publish(long round, RoundBuffers next, RoundInfo info) {
        if (!next.finite()) throw new IllegalStateException("round " + round + ": a non-finite state is never served");
        synchronized (lock) {
            if (next != current) {
                previous = current;
                current = next;
            }
            this.round = round;
            this.info = info;
            lock.notifyAll(); // tasks waiting for this round
        }
    }

    /**
     * Registers the span job of {@code generation}: its tasks may fetch rounds up to {@code lastRound}. With
     * {@code supersede} (a re-run of a failed barrier stage) the older generations' fetches are refused and their
     * uploads never averaged.
     */
    void beginSpan(long generation, long lastRound, boolean supersede) {
        synchronized (lock) {
            if (supersede) {
                spanLast.keySet().removeIf(g -> g < generation);
                liveGeneration = generation;
            }
            spanLast.put(generation, lastRound);
            lock.notifyAll();
        }
    }

    /** Ends the span of {@code generation} after {@code lastRound}: its tasks asking for a later round return at once. */
    void endSpan(long generation, long lastRound) {
        synchronized (lock) {
            spanLast.computeIfPresent(generation, (g, last) -> Math.min(last, lastRound));
            lock.notifyAll();
        }
    }

    /**
     * Waits up to {@code timeoutMs} for a complete upload of {@code round} from every slice, and returns the first of
     * each (null when some slice's is still missing). A report that does not decode fails the round, naming the slice.
     */
    Arrived awaitRound(long round, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        Upload[] first = new Upload[workers];
        synchronized (lock) {
            while (true) {
                java.util.Arrays.fill(first, null);
                int have = 0;
                for (Upload u : uploads) {
                    if (!u.complete || u.round != round || u.generation < liveGeneration) continue;
                    if (first[u.slice] == null) have++;
                    if (first[u.slice] == null || u.seq < first[u.slice].seq) first[u.slice] = u;
                }
                if (have == workers) break;
                long left = deadline - System.nanoTime();
                if (left <= 0) return null;
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
        Map<Integer, Long> tokens = new TreeMap<>();
        List<SliceResult.SliceOutput> outs = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            tokens.put(w, first[w].token);
            try {
                SliceResult.SliceOutput o = SliceResult.SliceOutput.decode(first[w].report);
                SliceResult.Times t = o.times(); // the upload's time, as received here (the report travels inside it)
                outs.add(new SliceResult.SliceOutput(o.slice(), o.expertCounts(), o.ceSum(), o.regSum(), o.tokens(),
                        o.steps(), o.skipped(), o.rebuilt(), new SliceResult.Times(t.fetch(), t.load(), t.compute(),
                        first[w].seconds, t.computeCpu(), t.executorCpu()), o.maxSkipRun(), o.fault()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("round " + round + ": slice " + w + "'s report does not decode (" + e.getMessage()
                        + "); driver and executors must run the same sigmoe build", e);
            }
        }
        return new Arrived(tokens, outs);
    }

    /** The buffers the next round's state goes into: those of the round before the current one, when of this size. */
    private RoundBuffers spare(int n) {
        synchronized (lock) {
            return previous != null && previous.n == n ? previous : new RoundBuffers(n);
        }
    }

    /**
     * The next round's state: the mean of the uploads of {@code round} by the given attempt of every slice (slice →
     * token, as the slices' results report them), with the given step counters, written straight into the buffers it
     * will be served from ({@link #publish(long, RoundBuffers, RoundInfo)}) and checked for non-finite values in the same pass.
     * The result is overwritten by the next call (a checkpoint that needs it later copies it out first).
     */
    RoundBuffers average(long round, Map<Integer, Long> tokens, long step, long adamStep) {
        Upload[] parts = new Upload[workers];
        synchronized (lock) {
            for (int w = 0; w < workers; w++) {
                Long token = tokens.get(w);
                for (Upload u : uploads)
                    if (token != null && u.complete && u.round == round && u.slice == w && u.token == token) parts[w] = u;
                if (parts[w] == null)
                    throw new IllegalStateException("round " + round + ": the state of slice " + w + " (task attempt " + token
                            + ") never reached the driver's state exchange");
            }
        }
        int n = parts[0].n;
        RoundBuffers out = spare(n);
        out.step = step;
        out.adamStep = adamStep;
        ByteBuffer[][] slices = new ByteBuffer[workers][];
        for (int w = 0; w < workers; w++) slices[w] = parts[w].arrays;
        out.finite = RoundMean.into(out, slices);
        return out;
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                c.socket().setTcpNoDelay(true);
                pool.execute(() -> serve(c));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            if (!gate.admit(c.socket())) return;
            ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            while (true) {
                if (!StateClient.read(c, head.clear().limit(1), true)) return; // EOF between requests: done
                byte op = head.get(0);
                if (op == GET) get(c, head);
                else if (op == PUT) put(c, head);
                else throw new IOException("unknown state-exchange request " + op);
            }
        } catch (IOException e) {
            // the task ended or was killed mid-transfer: a half-received upload stays incomplete and is never averaged
        }
    }

    /** Serves the first published round at or after the one asked for, waiting for it; or says the span is over. */
    private void get(SocketChannel c, ByteBuffer head) throws IOException {
        StateClient.read(c, head.clear().limit(16), false);
        long generation = head.getLong(0), min = head.getLong(8);
        RoundBuffers p;
        RoundInfo in;
        long r;
        int status;
        synchronized (lock) {
            while (true) {
                Long last = spanLast.get(generation);
                if (last == null) { status = REJECTED; break; }
                if (min > last || round > last) { status = SPAN_END; break; }
                if (round >= min && current != null) { status = OK; break; }
                if (closed) return;
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    return; // the exchange is closing
                }
            }
            p = current;
            in = info;
            r = round;
        }
        head.clear();
        if (status != OK) {
            StateClient.write(c, head.putInt(status).flip());
            return;
        }
        byte[] dir = in.checkpointDir() == null ? null : in.checkpointDir().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(44 + (dir == null ? 0 : dir.length)).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(OK).putLong(r).putLong(p.step()).putLong(p.adamStep()).putInt(in.steps()).putInt(dir == null ? -1 : dir.length);
        if (dir != null) h.put(dir);
        StateClient.write(c, h.putInt(p.n).flip());
        for (int k = 0; k < 3; k++) StateClient.write(c, p.bytes(k));
    }

    private void put(SocketChannel c, ByteBuffer head) throws IOException {
        StateClient.read(c, head.clear().limit(36), false);
        long generation = head.getLong(0), r = head.getLong(8), token = head.getLong(20);
        int slice = head.getInt(16), n = head.getInt(28), reportBytes = head.getInt(32);
        Upload u;
        synchronized (lock) {
            if (r != round || slice < 0 || slice >= workers || current == null || n != current.n || generation < liveGeneration
                    || reportBytes < 0 || reportBytes > MAX_REPORT_BYTES) {
                u = null;
            } else {
                u = acquire(slice, token, n);
                u.round = r;
                u.generation = generation;
            }
        }
        if (u == null) { // a stale attempt, or a state of another shape: told so before it sends any of its arrays
            StateClient.write(c, head.clear().putInt(REJECTED).flip());
            return;
        }
        long t0 = System.nanoTime();
        try {
            StateClient.write(c, head.clear().putInt(OK).flip()); // the go-ahead for the arrays
            for (ByteBuffer a : u.arrays) StateClient.read(c, a.clear(), false);
            ByteBuffer report = ByteBuffer.allocate(reportBytes);
            StateClient.read(c, report, false);
            u.report = report.array();
        } catch (IOException e) {
            synchronized (lock) { u.busy = false; u.round = -1; }
            throw e;
        }
        synchronized (lock) {
            u.busy = false;
            u.complete = true;
            u.seq = arrivals++;
            u.seconds = (System.nanoTime() - t0) / 1e9;
            lock.notifyAll(); // the driver waiting for the round
        }
        StateClient.write(c, head.clear().putInt(OK).flip());
    }

    /** A buffer for one upload: a free one of the right size (not of the current round, or this very attempt's), else new. */
    private Upload acquire(int slice, long token, int n) {
        Upload free = null;
        for (Upload u : uploads) {
            if (u.busy || u.n != n) continue;
            if (u.round == round && u.complete && (u.slice != slice || u.token != token)) continue; // may be averaged
            free = u;
            break;
        }
        if (free == null) {
            free = new Upload(n);
            uploads.add(free);
        }
        free.busy = true;
        free.complete = false;
        free.slice = slice;
        free.token = token;
        return free;
    }

    /** Stops listening and ends every connection (their threads' blocking I/O ends with the interrupt). */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            server.close();
        } finally {
            pool.shutdownNow();
        }
    }

    /** One slice attempt's uploaded state. */
    private static final class Upload {
        final int n;
        final ByteBuffer[] arrays = new ByteBuffer[3];
        long round = -1, token, generation, seq;
        double seconds;
        int slice;
        boolean busy, complete;
        byte[] report;

        Upload(int n) {
            this.n = n;
            for (int k = 0; k < 3; k++) arrays[k] = ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES));
        }
    }
}
