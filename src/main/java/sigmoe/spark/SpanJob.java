package sigmoe.spark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.Success$;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.collection.JavaConverters;

/**
 * The Spark jobs of a run: one job per span of train.rounds_per_job rounds, whose slice tasks stay alive from round to
 * round and meet the driver at its {@link StateServer} (Spark's per-job machinery, ~0.15-0.2 s a job on 2 cores,
 * was most of a round's time outside the compute when every round was a job; docs/performance.md). The next span's
 * job is submitted as the last round of the current one arrives, so its launch overlaps the driver's averaging.
 *
 * <p>Failures surface in {@link #await} on the trainer's thread. When a slice task fails (a lost executor) its retry
 * may need a slot that another slice's task holds while it waits for the next round, so the span is ended after the
 * current round: the waiting tasks return, the retry runs, and the next round starts a new job. A barrier stage
 * (global regulariser) that lost a task is re-run from the published state as a new generation
 * ({@link SparkTrainer#BARRIER_ROUND_ATTEMPTS}); any other job failure is thrown as Spark reported it.
 */
final class SpanJob implements AutoCloseable {
    /** How long {@link #close} waits for a cancelled job to end before leaving it to Spark. */
    private static final long CANCEL_WAIT_S = 60;
    /** How often the driver, waiting for a round, looks at the jobs' state (failures, early ends). */
    private static final long POLL_MS = 100;

    /** The job-level spec of a span (generation, first and last round). */
    interface Specs {
        RoundSpec spec(long generation, long firstRound, long lastRound);
    }

    private final JavaSparkContext sc;
    private final JavaRDD<Integer> rdd;
    private final String group;
    private final boolean barrier;
    private final StateServer exchange;
    private final Specs specs;
    private final PrintStream out;
    private final Failures failures = new Failures();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sigmoe-span");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> pending = new ArrayList<>();
    private long generation = -1, first, last;
    private int jobs;

    SpanJob(JavaSparkContext sc, JavaRDD<Integer> rdd, String group, boolean barrier, StateServer exchange, Specs specs,
            PrintStream out) {
        this.sc = sc;
        this.rdd = rdd;
        this.group = group;
        this.barrier = barrier;
        this.exchange = exchange;
        this.specs = specs;
        this.out = out;
        sc.sc().addSparkListener(failures);
    }

    /** Starts the span job of rounds {@code firstRound}..{@code lastRound}; returns at once. */
    void start(long firstRound, long lastRound) {
        submit(firstRound, lastRound, false);
    }

    /** The last round of the current span: when it arrives, the next span starts. */
    long last() { return last; }

    /** Spark jobs submitted so far (spans, early ends and re-runs included). */
    int jobs() { return jobs; }

    private void submit(long firstRound, long lastRound, boolean supersede) {
        generation++;
        first = firstRound;
        last = lastRound;
        jobs++;
        exchange.beginSpan(generation, lastRound, supersede);
        RoundSpec spec = specs.spec(generation, firstRound, lastRound);
        JavaRDD<Integer> slices = rdd;
        boolean b = barrier;
        String g = group, d = String.format("rounds %d-%d", firstRound + 1, lastRound + 1);
        pending.add(threads.submit(() -> {
            sc.setJobGroup(g, d, false);
            return run(slices, spec, b);
        }));
    }

    /** One span on the executors: a barrier stage when the entropy regulariser is global (an all-reduce at every step). */
    static List<Integer> run(JavaRDD<Integer> slices, RoundSpec spec, boolean barrier) {
        if (barrier) return BarrierRound.map(slices, spec).collect();
        return slices.mapPartitions(it -> List.of(SliceTask.run(it.next(), spec)).iterator(), true).collect();
    }

    /** Every slice's upload of {@code round}, waiting for them while watching the jobs. */
    StateServer.Arrived await(long round) throws InterruptedException {
        for (int attempt = 1; ; ) {
            StateServer.Arrived a = exchange.awaitRound(round, POLL_MS);
            if (a != null) return a;
            if (failures.failed.getAndSet(false) && !barrier && last > round) {
                exchange.endSpan(generation, round); // the retry needs a slot: the other slices return after this round
                last = round;
            }
            boolean running = false;
            for (java.util.Iterator<Future<?>> it = pending.iterator(); it.hasNext(); ) {
                Future<?> f = it.next();
                if (!f.isDone()) {
                    running = true;
                    continue;
                }
                it.remove();
                try {
                    f.get();
                } catch (ExecutionException x) {
                    Throwable e = x.getCause(); // SparkException: checked, though no Scala signature declares it
                    if (e instanceof Error err) throw err;
                    if (!barrier || attempt >= SparkTrainer.BARRIER_ROUND_ATTEMPTS || !String.valueOf(e.getMessage()).contains("barrier"))
                        throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
                    String why = String.valueOf(e.getMessage()).strip().lines().reduce((p, q) -> q).orElse("");
                    attempt++;
                    out.printf("round %d: the barrier stage failed (%s); re-running the round from its published state, "
                            + "attempt %d of %d%n", round, why, attempt, SparkTrainer.BARRIER_ROUND_ATTEMPTS);
                    submit(round, last, true);
                    running = true;
                    break;
                }
            }
            if (!running && exchange.awaitRound(round, 0) == null)
                throw new IllegalStateException("round " + round + ": the Spark job of rounds " + (first + 1) + "-" + (last + 1)
                        + " ended before every slice's state of that round reached the driver");
        }
    }

    /** Waits for the jobs to end after the last round (their tasks return after its upload). */
    void finish() throws InterruptedException {
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException re ? re : new IllegalStateException(c.getMessage(), c);
            }
        }
        pending.clear();
    }

    /**
     * Cancels jobs still running (the run failed on the driver meanwhile) and waits for them to end, so no task of this
     * run outlives it; then stops the job threads and the failure listener.
     */
    @Override
    public void close() {
        try {
            if (!pending.isEmpty()) {
                sc.sc().cancelJobGroup(group);
                for (Future<?> f : pending) {
                    try {
                        f.get(CANCEL_WAIT_S, TimeUnit.SECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        // cancelled as asked (or Spark is still winding it down): the run is failing for another reason
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                pending.clear();
            }
        } finally {
            sc.sc().removeSparkListener(failures);
            threads.shutdownNow();
        }
    }

    /** Notes a failed task attempt of this run's jobs (the listener bus delivers within milliseconds). */
    private final class Failures extends SparkListener {
        final Set<Integer> stages = ConcurrentHashMap.newKeySet();
        final AtomicBoolean failed = new AtomicBoolean();

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            if (e.properties() != null && group.equals(e.properties().getProperty("spark.jobGroup.id")))
                for (Object id : JavaConverters.seqAsJavaList(e.stageIds())) stages.add((Integer) id);
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (stages.contains(e.stageId()) && !(e.reason() instanceof Success$)) failed.set(true);
        }
    }
}
