package sigmoe.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
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
 * local-cluster with both slices homed on one executor). A barrier stage needs all W slots at once: Spark waits for
 * them (spark.scheduler.barrier.maxConcurrentTasksCheck.*, which the trainer's context sets to 1 s steps for up to
 * 10 minutes) and fails if they never come, where span jobs would have waited forever: slice tasks hold their slots
 * across rounds and every round needs all W slices. On a local master the slots are known up front and checked at once.
 */
final class SlicePlacement extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
    /** Spark's words when a barrier stage needs more slots than the cluster has (SPARK-24819). */
    private static final String TOO_FEW_SLOTS = "requires more slots than the total number of slots";

    /**
     * Caches the W partitions of {@code slices}, one per task slot, and returns each slice's executor id (index =
     * slice). Throws IllegalArgumentException naming train.workers when the cluster has fewer than W slots.
     */
    static List<String> place(JavaSparkContext sc, JavaRDD<Integer> slices, int workers) {
        SparkConf conf = sc.getConf();
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        int local = localSlots(sc.master(), taskCpus);
        if (local >= 0 && local < workers)
            throw new IllegalArgumentException(String.format(Locale.ROOT, "train.workers = %d slices need %d task slots "
                    + "at once (slice tasks hold their slots across rounds), but %s with spark.task.cpus = %d has %d: "
                    + "use a master with more threads (e.g. local[%d]) or lower train.workers", workers, workers,
                    sc.master(), taskCpus, local, workers * taskCpus));
        if (local < 0 && conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            slices.count(); // barrier stages refuse dynamic allocation; executors are added as span tasks wait
            return List.of();
        }
        List<String> homes;
        try {
            homes = slices.rdd().barrier().mapPartitions(new SlicePlacement(), true, ClassTag$.MODULE$.apply(String.class))
                    .toJavaRDD().collect();
        } catch (Exception e) { // SparkException: checked, though no Scala signature declares it
            if (!String.valueOf(e.getMessage()).contains(TOO_FEW_SLOTS))
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
            throw new IllegalArgumentException(String.format(Locale.ROOT, "train.workers = %d slices need %d task slots "
                    + "at once (slice tasks hold their slots across rounds), but the cluster of %s did not offer them "
                    + "within Spark's wait (spark.scheduler.barrier.maxConcurrentTasksCheck.*): start more executors "
                    + "(each has executor cores / spark.task.cpus slots; spark.task.cpus = %d) or lower train.workers",
                    workers, workers, sc.master(), taskCpus), e);
        }
        String[] bySlice = new String[workers];
        for (String h : homes) {
            int at = h.indexOf('@');
            bySlice[Integer.parseInt(h.substring(0, at))] = h.substring(at + 1);
        }
        return List.of(bySlice);
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

    /** Task slots of a local master (threads / spark.task.cpus), or -1 for any other master. */
    static int localSlots(String master, int taskCpus) {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) return -1;
        int threads = m.group(1) == null ? 1 : m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(m.group(1));
        return threads / Math.max(1, taskCpus);
    }

    /** In the barrier task: reading the cached parent caches this slice here; answers "slice@executor". */
    @Override
    public Iterator<String> apply(Iterator<Integer> it) {
        int slice = it.next();
        String home = slice + "@" + SparkEnv.get().executorId();
        return JavaConverters.asScalaIterator(List.of(home).iterator());
    }
}
