package sigmoe.spark;

import java.io.PrintStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The rounds' Spark jobs, submitted without waiting: while the executors run round r + 1, the driver writes round r's
 * metrics, validation and checkpoint. treeAggregate (train.tree_depth) has no asynchronous form, so each job runs on
 * one driver thread of its own (SparkContext takes jobs from any thread; its job group and description are set on
 * that thread). Failures surface in {@link #await} on the trainer's thread, in the order they would have without the
 * overlap: a barrier round that lost a task is re-run there ({@link SparkTrainer#BARRIER_ROUND_ATTEMPTS}), any other
 * failure is thrown as Spark reported it.
 */
final class RoundJob implements AutoCloseable {
    /** How long {@link #close} waits for a cancelled job to end before leaving it to Spark. */
    private static final long CANCEL_WAIT_S = 60;

    private final JavaSparkContext sc;
    private final JavaRDD<Integer> rdd;
    private final String group;
    private final boolean barrier;
    private final int depth;
    private final PrintStream out;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sigmoe-round");
        t.setDaemon(true);
        return t;
    });
    private RoundSpec spec;
    private String description;
    private Future<SliceResult> pending;
    private long submitted;
    /** System.nanoTime() when the last attempt's result reached the driver (written by the job's thread). */
    private volatile long done;

    /** Jobs over the slices' RDD in job group {@code group}; barrier stages when the regulariser is global. */
    RoundJob(JavaSparkContext sc, JavaRDD<Integer> rdd, String group, boolean barrier, int depth, PrintStream out) {
        this.sc = sc;
        this.rdd = rdd;
        this.group = group;
        this.barrier = barrier;
        this.depth = depth;
        this.out = out;
    }

    /** Starts the round of {@code spec} on the executors and returns at once. */
    void submit(RoundSpec spec, String description) {
        if (pending != null) throw new IllegalStateException("round " + this.spec.round() + " is still running");
        this.spec = spec;
        this.description = description;
        submitted = System.nanoTime();
        attempt();
    }

    private void attempt() {
        RoundSpec s = spec;
        String d = description;
        pending = thread.submit(() -> {
            sc.setJobGroup(group, d, false);
            SliceResult r = SparkTrainer.aggregate(rdd, s, barrier, depth);
            done = System.nanoTime();
            return r;
        });
    }

    /**
     * The submitted round's result, waiting for it. Spark retries a lost task, but never a barrier ResultStage ("Could
     * not recover from a failed barrier ResultStage"): a barrier round that lost a task is re-run here from the same
     * published state; every slice rebuilds (a failed attempt never leaves its replica behind) and is counted.
     */
    SliceResult await() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Future<SliceResult> f = pending;
            try {
                SliceResult r = f.get();
                pending = null;
                return r;
            } catch (ExecutionException x) {
                Throwable e = x.getCause(); // SparkException: checked, though no Scala signature declares it
                pending = null;
                if (e instanceof Error err) throw err;
                if (!barrier || attempt >= SparkTrainer.BARRIER_ROUND_ATTEMPTS || !String.valueOf(e.getMessage()).contains("barrier"))
                    throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
                String why = String.valueOf(e.getMessage()).strip().lines().reduce((a, b) -> b).orElse("");
                out.printf("round %d: the barrier stage failed (%s); re-running the round from its published state, "
                        + "attempt %d of %d%n", spec.round(), why, attempt + 1, SparkTrainer.BARRIER_ROUND_ATTEMPTS);
                attempt();
            }
        }
    }

    /** System.nanoTime() of the round's first submission. */
    long submitted() { return submitted; }

    /** System.nanoTime() when the round's result reached the driver. */
    long done() { return done; }

    /** Whether a round was submitted and not yet awaited. */
    boolean running() { return pending != null; }

    /**
     * Cancels a round still running (the run failed on the driver meanwhile) and waits for its job to end, so no task
     * of this run outlives it; then stops the job thread.
     */
    @Override
    public void close() {
        try {
            if (pending != null) {
                sc.sc().cancelJobGroup(group);
                try {
                    pending.get(CANCEL_WAIT_S, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // cancelled as asked (or Spark is still winding it down): the run is failing for another reason
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                pending = null;
            }
        } finally {
            thread.shutdownNow();
        }
    }
}
