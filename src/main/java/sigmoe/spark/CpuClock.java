package sigmoe.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU time for the round metrics, in nanoseconds (-1 where the JVM cannot tell): on a shared machine the wall time of
 * the communication is mostly waiting for a core, while its CPU time says what it costs on an idle one.
 */
final class CpuClock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** This JVM's process CPU time when its previous slice task finished (-1 before the first). */
    private static final AtomicLong LAST_TASK_END = new AtomicLong(-1);

    private CpuClock() {}

    /** CPU time of the calling thread. */
    static long thread() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /** CPU time of every thread of this JVM (task, network, GC, JIT). */
    static long process() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /**
     * Seconds of process CPU from the end of this JVM's previous slice task (or from {@code taskStart} for its first)
     * to now, marking now as the latest end: one executor's whole round cycle, the previous result's serialisation and
     * serving included, when the JVM runs one slice.
     */
    static double sinceLastTask(long taskStart) {
        long now = process();
        long last = LAST_TASK_END.getAndSet(now);
        long from = last >= 0 ? last : taskStart;
        return now < 0 || from < 0 ? Double.NaN : (now - from) / 1e9;
    }
}
