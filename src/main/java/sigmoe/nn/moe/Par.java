package sigmoe.nn.moe;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Row-block parallelism for the layer's Java loops, on the common fork-join pool (nd4j-only.md §7: the GEMMs use all
 * cores through OpenMP, so the Java phases between them should too). Blocks write disjoint rows, so results do not
 * depend on the thread count.
 */
final class Par {
    private Par() {}

    /** Threads for the Java loops: -Dsigmoe.javaThreads, default the common pool's parallelism + 1 (the caller). */
    static final int THREADS = Integer.getInteger("sigmoe.javaThreads", ForkJoinPool.getCommonPoolParallelism() + 1);

    interface Range { void run(int lo, int hi); }

    /** Runs body over [0, n) in at most (pool parallelism + 1) blocks of at least {@code minBlock} items. */
    static void forRange(int n, int minBlock, Range body) {
        int blocks = Math.min(THREADS, n / Math.max(1, minBlock));
        if (blocks <= 1) { body.run(0, n); return; }
        RecursiveAction[] tasks = new RecursiveAction[blocks];
        for (int b = 0; b < blocks; b++) {
            int lo = (int) ((long) n * b / blocks), hi = (int) ((long) n * (b + 1) / blocks);
            tasks[b] = new RecursiveAction() {
                @Override protected void compute() { body.run(lo, hi); }
            };
        }
        RecursiveAction.invokeAll(tasks);
    }

    interface Worker { void run(int worker); }

    /** Runs body(0) … body(workers − 1) concurrently, body(0) on the calling thread; returns when all are done. */
    static void forWorkers(int workers, Worker body) {
        if (workers <= 1) { body.run(0); return; }
        RecursiveAction[] tasks = new RecursiveAction[workers];
        for (int w = 0; w < workers; w++) {
            int id = w;
            tasks[w] = new RecursiveAction() {
                @Override protected void compute() { body.run(id); }
            };
        }
        RecursiveAction.invokeAll(tasks);
    }
}
