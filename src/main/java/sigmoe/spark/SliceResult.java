package sigmoe.spark;

import java.io.Serializable;

/**
 * Everything additive that a round returns, summed over slices by treeAggregate: the parameter and moment sums
 * ({@link StateSum}: a slice's floats as they are, exact double sums where results meet), loss and token sums, and
 * raw expert counts.
 */
public final class SliceResult implements Serializable {
    private static final long serialVersionUID = 2L;
    /** Parameters and Adam moments summed over the slices (null while empty). */
    StateSum state;
    double[] expertCounts;
    double ceSum, regSum, computeSeconds, maxComputeSeconds;
    /** The slowest slice's seconds for each phase outside the compute: see {@link Times}. */
    double maxFetchSeconds, maxLoadSeconds, maxPackSeconds, maxComputeCpuSeconds, maxExecutorCpuSeconds;
    long tokens, steps, skipped, slices, rebuilds;
    /** Longest run of consecutive skipped steps any slice reached (runs continue across rounds on one replica). */
    long maxSkipRun;
    /** The first non-finite fault of the lowest slice that had one this round (null when none). */
    String fault;
    int faultSlice = Integer.MAX_VALUE;

    public static SliceResult empty() { return new SliceResult(); }

    /** Adds one slice's float state and counters (seqOp). */
    static SliceResult add(SliceResult acc, SliceOutput o) {
        StateSum one = StateSum.of(o.params(), o.m(), o.v());
        if (acc.state == null) acc.state = one;
        else acc.state.add(one);
        acc.expertCounts = addInto(acc.expertCounts, o.expertCounts());
        acc.ceSum += o.ceSum();
        acc.regSum += o.regSum();
        acc.tokens += o.tokens();
        acc.steps += o.steps();
        acc.skipped += o.skipped();
        acc.slices += 1;
        acc.rebuilds += o.rebuilt() ? 1 : 0;
        acc.maxSkipRun = Math.max(acc.maxSkipRun, o.maxSkipRun());
        if (o.fault() != null && o.slice() < acc.faultSlice) {
            acc.fault = o.fault();
            acc.faultSlice = o.slice();
        }
        acc.computeSeconds += o.times().compute();
        acc.maxComputeSeconds = Math.max(acc.maxComputeSeconds, o.times().compute());
        acc.maxFetchSeconds = Math.max(acc.maxFetchSeconds, o.times().fetch());
        acc.maxLoadSeconds = Math.max(acc.maxLoadSeconds, o.times().load());
        acc.maxPackSeconds = Math.max(acc.maxPackSeconds, o.times().pack());
        acc.maxComputeCpuSeconds = Math.max(acc.maxComputeCpuSeconds, o.times().computeCpu());
        acc.maxExecutorCpuSeconds = Math.max(acc.maxExecutorCpuSeconds, o.times().executorCpu());
        return acc;
    }

    /** combOp. */
    static SliceResult merge(SliceResult a, SliceResult b) {
        if (a.slices == 0) return b;
        if (b.slices == 0) return a;
        if (a.state == null) a.state = b.state;
        else if (b.state != null) a.state.add(b.state);
        a.expertCounts = addInto(a.expertCounts, b.expertCounts);
        a.ceSum += b.ceSum;
        a.regSum += b.regSum;
        a.tokens += b.tokens;
        a.steps += b.steps;
        a.skipped += b.skipped;
        a.slices += b.slices;
        a.rebuilds += b.rebuilds;
        a.maxSkipRun = Math.max(a.maxSkipRun, b.maxSkipRun);
        if (b.fault != null && b.faultSlice < a.faultSlice) {
            a.fault = b.fault;
            a.faultSlice = b.faultSlice;
        }
        a.computeSeconds += b.computeSeconds;
        a.maxComputeSeconds = Math.max(a.maxComputeSeconds, b.maxComputeSeconds);
        a.maxFetchSeconds = Math.max(a.maxFetchSeconds, b.maxFetchSeconds);
        a.maxLoadSeconds = Math.max(a.maxLoadSeconds, b.maxLoadSeconds);
        a.maxPackSeconds = Math.max(a.maxPackSeconds, b.maxPackSeconds);
        a.maxComputeCpuSeconds = Math.max(a.maxComputeCpuSeconds, b.maxComputeCpuSeconds);
        a.maxExecutorCpuSeconds = Math.max(a.maxExecutorCpuSeconds, b.maxExecutorCpuSeconds);
        return a;
    }

    /** The mean over the {@code n} slices of parameters (k = 0), Adam m (1) or v (2), rounded to float: see {@link StateSum}. */
    float[] mean(int k, long n) {
        if (n != slices || state == null) throw new IllegalStateException("mean over " + n + " slices of a sum of " + slices);
        return state.mean(k, n);
    }

    private static double[] addInto(double[] acc, double[] x) {
        if (x == null) return acc;
        if (acc == null) return x.clone();
        for (int i = 0; i < x.length; i++) acc[i] += x[i];
        return acc;
    }

    /**
     * One slice's output of a round; {@code maxSkipRun} is the longest run of consecutive skipped steps of its replica
     * during the round and {@code fault} the first skipped step's description (null when none was skipped).
     */
    record SliceOutput(int slice, float[] params, float[] m, float[] v, double[] expertCounts, double ceSum, double regSum,
                       long tokens, long steps, long skipped, boolean rebuilt, Times times, long maxSkipRun,
                       String fault) implements Serializable {}

    /**
     * Where one slice task's time went, in wall seconds: the broadcast state's fetch and deserialisation
     * ({@code fetch}), its copy into the replica ({@code load}), the H steps ({@code compute}) and the copy of the state
     * out for the aggregation ({@code pack}); and CPU seconds: the task thread's during the H steps
     * ({@code computeCpu}) and the executor JVM's over its round cycle ({@code executorCpu}, {@link CpuClock#sinceLastTask}).
     */
    record Times(double fetch, double load, double compute, double pack, double computeCpu, double executorCpu)
            implements Serializable {}
}
