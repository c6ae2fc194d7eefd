package sigmoe.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Everything additive that a round's slices report, summed on the driver in slice order: loss and token sums, raw
 * expert counts, skipped steps and rebuilds, and the slowest slice's timings. Each
 * slice's {@link SliceOutput} travels to the driver's {@link StateServer} with its state ({@link SliceOutput#encode}).
 */
public final class SliceResult {
    double[] expertCounts;
    double ceSum, regSum, maxComputeSeconds;
    /** The slowest slice's seconds for each phase outside the compute: see {@link Times}. */
    double maxFetchSeconds, maxLoadSeconds, maxPackSeconds, maxComputeCpuSeconds, maxExecutorCpuSeconds;
    long tokens, steps, skipped, slices, rebuilds;
    /** Longest run of consecutive skipped steps any slice reached (runs continue across rounds on one replica). */
    long maxSkipRun;
    /** The first non-finite fault of the lowest slice that had one this round (null when none). */
    String fault;
    int faultSlice = Integer.MAX_VALUE;

    public static SliceResult empty() { return new SliceResult(); }

    /** Adds one slice's report (the driver adds them in slice order: the same sums every run). */
    static SliceResult add(SliceResult acc, SliceOutput o) {
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
        acc.maxComputeSeconds = Math.max(acc.maxComputeSeconds, o.times().compute());
        acc.maxFetchSeconds = Math.max(acc.maxFetchSeconds, o.times().fetch());
        acc.maxLoadSeconds = Math.max(acc.maxLoadSeconds, o.times().load());
        acc.maxPackSeconds = Math.max(acc.maxPackSeconds, o.times().pack());
        acc.maxComputeCpuSeconds = Math.max(acc.maxComputeCpuSeconds, o.times().computeCpu());
        acc.maxExecutorCpuSeconds = Math.max(acc.maxExecutorCpuSeconds, o.times().executorCpu());
        return acc;
    }

    private static double[] addInto(double[] acc, double[] x) {
        if (x == null) return acc;
        if (acc == null) return x.clone();
        for (int i = 0; i < x.length; i++) acc[i] += x[i];
        return acc;
    }

    /**
     * One slice's output of a round (which task attempt sent it travels in the upload's header, not here);
     * {@code maxSkipRun} is the longest run of consecutive skipped steps of its replica
     * during the round and {@code fault} the first skipped step's description (null when none was skipped).
     */
    record SliceOutput(int slice, double[] expertCounts, double ceSum, double regSum,
                       long tokens, long steps, long skipped, boolean rebuilt, Times times, long maxSkipRun,
                       String fault) {
        /**
         * Little-endian bytes: a plain layout instead of Java serialisation, so the driver never deserialises objects
         * from the network (the exchange admits only the run's tasks, but a layout of numbers cannot carry anything else).
         */
        byte[] encode() {
            byte[] f = fault == null ? null : fault.getBytes(StandardCharsets.UTF_8);
            int counts = expertCounts == null ? -1 : expertCounts.length;
            ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 * Math.max(0, counts) + 8 * 2 + 8 * 3 + 1 + 8 * 6 + 8 + 4
                    + (f == null ? 0 : f.length)).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(slice).putInt(counts);
            for (int i = 0; i < counts; i++) b.putDouble(expertCounts[i]);
            b.putDouble(ceSum).putDouble(regSum).putLong(tokens).putLong(steps).putLong(skipped).put((byte) (rebuilt ? 1 : 0));
            b.putDouble(times.fetch()).putDouble(times.load()).putDouble(times.compute()).putDouble(times.pack())
                    .putDouble(times.computeCpu()).putDouble(times.executorCpu());
            b.putLong(maxSkipRun).putInt(f == null ? -1 : f.length);
            if (f != null) b.put(f);
            return b.array();
        }

        /** The inverse of {@link #encode}; a malformed record is an IllegalArgumentException. */
        static SliceOutput decode(byte[] bytes) {
            try {
                ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                int slice = b.getInt();
                int counts = b.getInt();
                if (counts < -1 || counts > b.remaining() / 8) throw new IllegalArgumentException("expert counts " + counts);
                double[] c = counts < 0 ? null : new double[counts];
                for (int i = 0; i < counts; i++) c[i] = b.getDouble();
                double ce = b.getDouble(), reg = b.getDouble();
                long tokens = b.getLong(), steps = b.getLong(), skipped = b.getLong();
                boolean rebuilt = b.get() != 0;
                Times t = new Times(b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble());
                long maxSkipRun = b.getLong();
                int fl = b.getInt();
                if (fl < -1 || fl > b.remaining()) throw new IllegalArgumentException("fault length " + fl);
                String fault = null;
                if (fl >= 0) {
                    byte[] f = new byte[fl];
                    b.get(f);
                    fault = new String(f, StandardCharsets.UTF_8);
                }
                if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " trailing bytes");
                return new SliceOutput(slice, c, ce, reg, tokens, steps, skipped, rebuilt, t, maxSkipRun, fault);
            } catch (java.nio.BufferUnderflowException e) {
                throw new IllegalArgumentException("a slice's round report of " + bytes.length + " bytes is truncated", e);
            }
        }
    }

    /**
     * Where one slice task's time went, in wall seconds: the round state's download from the driver into the replica
     * ({@code fetch}), finding or building the replica ({@code load}), the H steps ({@code compute}) and the upload of
     * its state to the driver ({@code pack}); and CPU seconds: the task thread's during the H steps
     * ({@code computeCpu}) and the executor JVM's over its round cycle ({@code executorCpu}, {@link CpuClock#sinceLastTask}).
     */
    record Times(double fetch, double load, double compute, double pack, double computeCpu, double executorCpu) {}
}
