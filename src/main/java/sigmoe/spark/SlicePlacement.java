package sigmoe.spark;

import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Gives each slice a home before the first span: the slices' cached partitions are computed by one barrier stage,
 * so each lands in a task slot of its own, and every later span's task goes back to its home (PROCESS_LOCAL).
 *
 * <p>A plain count ran as soon as the first executor registered, and could cache several slices on it; each span
 * then kept those slices' tasks waiting for spark.locality.wait (3 s) before they ran elsewhere (measured on
 * local-cluster with both slices homed on one executor). The placement first waits until the executors offer W
 * slots (a local master's are fixed: no wait) and fails with a message if they do not, where span jobs would have
 * waited forever: slice tasks hold their slots across rounds and every round needs all W slices. The slot count is
 * Spark's own (SparkContext.maxNumConcurrentTasks, public in bytecode though private[spark] in Scala), the one its
 * barrier check uses; that check is the fallback (1 s steps in the trainer's context, SparkContexts).
 */
final class SlicePlacement extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Spark's words when a barrier stage needs more slots than the cluster has (SPARK-24819). */
    private static final String TOO_FEW_SLOTS = "requires more slots than the total number of slots";

    /** How long a cluster may take to offer W slots (-Dsigmoe.slots.wait_s, default 10 minutes). */
    static final long WAIT_S = Long.getLong("sigmoe.slots.wait_s", 600);

    /**
     * Caches the W partitions of {@code slices}, one per task slot, and returns each slice's executor id (index =
     * slice). Waits up to {@link #WAIT_S} for the executors to offer W slots (none on a local master, whose slots are
     * fixed) and throws IllegalArgumentException naming train.workers when they do not.
     */
    static List<String> place(JavaSparkContext sc, JavaRDD<Integer> slices, int workers, PrintStream out)
            throws InterruptedIOException {
        return place(sc, slices, workers, sc.isLocal() ? 0 : WAIT_S * 1000, out);
    }

    static List<String> place(JavaSparkContext sc, JavaRDD<Integer> slices, int workers, long waitMs, PrintStream out)
            throws InterruptedIOException {
        SparkConf conf = sc.getConf();
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        if (!sc.isLocal() && conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            slices.count(); // barrier stages refuse dynamic allocation; executors are added as span tasks wait
            return List.of();
        }
        long t0 = System.nanoTime();
        int slots = awaitSlots(sc.sc(), workers, waitMs, out);
        if (slots < workers) throw tooFewSlots(sc, workers, taskCpus, slots, (System.nanoTime() - t0) / 1_000_000_000L, null);
        List<String> homes;
        try {
            homes = slices.rdd().barrier().mapPartitions(new SlicePlacement(), true, ClassTag$.MODULE$.apply(String.class))
                    .toJavaRDD().collect();
        } catch (Exception e) { // SparkException: checked, though no Scala signature declares it
            if (!String.valueOf(e.getMessage()).contains(TOO_FEW_SLOTS)) // slots lost between the count and the stage
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
            throw tooFewSlots(sc, workers, taskCpus, slots(sc.sc()), (System.nanoTime() - t0) / 1_000_000_000L, e);
        }
        String[] bySlice = new String[workers];
        for (String h : homes) {
            int at = h.indexOf('@');
            bySlice[Integer.parseInt(h.substring(0, at))] = h.substring(at + 1);
        }
        return List.of(bySlice);
    }

    /** The task slots the executors offer now: what Spark's barrier check counts. */
    static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    /** Polls the slots until there are W or waitMs has passed, with a line every 30 s; returns the last count. */
    private static int awaitSlots(SparkContext sc, int workers, long waitMs, PrintStream out) throws InterruptedIOException {
        long t0 = System.nanoTime(), nextLine = 0;
        int slots = slots(sc);
        while (slots < workers) {
            long waited = (System.nanoTime() - t0) / 1_000_000;
            if (waited >= waitMs) break;
            if (waited >= nextLine) {
                out.printf("waiting for %d task slots, %d so far (executors registering; up to %d s more)%n", workers,
                        slots, (waitMs - waited) / 1000);
                nextLine = waited + 30_000;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the executors' task slots");
            }
            slots = slots(sc);
        }
        return slots;
    }

    private static IllegalArgumentException tooFewSlots(JavaSparkContext sc, int workers, int taskCpus, int slots,
            long waitedS, Throwable cause) {
        String where = sc.isLocal()
                ? String.format(Locale.ROOT, "%s with spark.task.cpus = %d has %d: use a master with more threads (e.g. "
                        + "local[%d]) or lower train.workers", sc.master(), taskCpus, slots, workers * taskCpus)
                : String.format(Locale.ROOT, "the executors of %s offered %d after %d s (each offers executor cores / "
                        + "spark.task.cpus slots; spark.task.cpus = %d): start more executors, wait longer "
                        + "(-Dsigmoe.slots.wait_s) or lower train.workers", sc.master(), slots, waitedS, taskCpus);
        return new IllegalArgumentException(String.format(Locale.ROOT, "train.workers = %d slices need %d task slots at "
                + "once (slice tasks hold their slots across rounds), but %s", workers, workers, where), cause);
    }

    /** One line for the log: how many slices each executor holds. */
    static String describe(List<String> homes) {
        if (homes.isEmpty()) return "slice homes: left to Spark (dynamic allocation)";
        TreeMap<String, List<Integer>> by = new TreeMap<>();
        for (int s = 0; s < homes.size(); s++) by.computeIfAbsent(homes.get(s), k -> new ArrayList<>()).add(s);
        StringBuilder b = new StringBuilder("slice homes:");
        by.forEach((exec, s) -> b.append(" executor ").append(exec).append(" ").append(s));
        return b.toString();
    }

    /** In the barrier task: reading the cached parent caches this slice here; answers "slice@executor". */
    @Override
    public Iterator<String> apply(Iterator<Integer> it) {
        int slice = it.next();
        String home = slice + "@" + SparkEnv.get().executorId();
        return JavaConverters.asScalaIterator(List.of(home).iterator());
    }
}
