package sigmoe.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Block parallelism for the Java loops between GEMMs (Adam's update over the flat parameter buffers, 1.9× on 2 cores;
 * the attention softmax and its backward, the output loss, LayerNorm), on the common fork-join pool. Every block
 * writes disjoint items and each item is computed by the same code whatever block it lands in; a loop that also
 * sums over items (a bias gradient) keeps float partials per fixed chunk of items, independent of the block count,
 * and adds them in chunk order. So the results are the same bits for any thread count and any timing
 * (RowParallelTest).
 */
public final class RowParallel {
    private RowParallel() {}

    private static volatile int threads =
            Integer.getInteger("sigmoe.javaThreads", ForkJoinPool.getCommonPoolParallelism() + 1);

    /** Blocks per loop (−Dsigmoe.javaThreads, default the common pool's parallelism + 1, the caller included). */
    public static int threads() { return threads; }

    /** Sets the number of blocks (1 = sequential); for benchmarks and the determinism tests. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        threads = n;
    }

    /** A loop body over items [lo, hi). */
    public interface Range { void run(int lo, int hi); }

    /** Runs body over [0, n) in at most {@link #threads()} contiguous blocks of at least {@code minBlock} items. */
    public static void forRange(int n, int minBlock, Range body) {
        int blocks = Math.min(threads, n / Math.max(1, minBlock));
        if (blocks <= 1) { body.run(0, n); return; }
        RecursiveAction[] tasks = new RecursiveAction[blocks];
        for (int b = 0; b < blocks; b++) {
            int lo = (int) ((long) n * b / blocks), hi = (int) ((long) n * (b + 1) / blocks);
            tasks[b] = new RecursiveAction() {
                @Override protected void compute() { body.run(lo, hi); }
            };
        }
        invokeAllAndWait(tasks);
    }

    /** A worker's body; {@code worker} is 0 … workers − 1. */
    public interface Worker { void run(int worker); }

    /** Runs body(0) … body(workers − 1) concurrently, body(0) on the calling thread; returns when all are done. */
    public static void forWorkers(int workers, Worker body) {
        if (workers <= 1) { body.run(0); return; }
        RecursiveAction[] tasks = new RecursiveAction[workers];
        for (int w = 0; w < workers; w++) {
            int id = w;
            tasks[w] = new RecursiveAction() {
                @Override protected void compute() { body.run(id); }
            };
        }
        invokeAllAndWait(tasks);
    }

    /**
     * Runs tasks[0] on the calling thread and the others on the pool, and returns (or throws the first failure) only
     * when every task has ended. ForkJoinTask.invokeAll is not used because it rethrows at the first failure and
     * cancels the others, and a cancelled ForkJoinTask counts as done while its body still runs: the caller's arrays
     * could then be freed or reused while a block still writes into them through an NIO view.
     */
    private static void invokeAllAndWait(RecursiveAction[] tasks) {
        for (int i = tasks.length - 1; i > 0; i--) tasks[i].fork();
        Throwable failure = null;
        try {
            tasks[0].invoke();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int i = 1; i < tasks.length; i++) {
            tasks[i].quietlyJoin();
            if (failure == null && tasks[i].isCompletedAbnormally()) failure = tasks[i].getException();
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
