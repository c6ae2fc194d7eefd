package sigmoe.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Spark contexts as every sigmoe command starts them. Local masters (local, local[N], local[*],
 * local-cluster[...]) bind to the loopback interface and run without the web UI, so that runs on a laptop or a
 * CI machine need no network and open no ports to the outside. Other masters keep what spark-submit set.
 */
public final class SparkContexts {
    private SparkContexts() {}

    public static final String DEFAULT_MASTER = "local[*]";

    /** The master to use: the option if given, else spark-submit's spark.master, else local[*]. */
    public static String master(String option) {
        if (option != null && !option.isBlank()) return option;
        return System.getProperty("spark.master", DEFAULT_MASTER);
    }

    /** local, local[N], local[*], local[N,F] (F = task retries); group 1 = the thread count or "*". */
    private static final String LOCAL_RE = "local(?:\\[(\\*|\\d+)(?:,\\d+)?])?";
    private static final java.util.regex.Pattern LOCAL = java.util.regex.Pattern.compile(LOCAL_RE);
    private static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
            LOCAL_RE + "|local-cluster\\[\\d+,\\d+,\\d+]|spark://.+|yarn|k8s://.+|mesos://.+");

    /** Whether a master URL has one of the forms Spark accepts (checked before Spark logs its own error). */
    public static boolean isValidMaster(String master) {
        return MASTER.matcher(master).matches();
    }

    public static boolean isLocal(String master) {
        return master.startsWith("local");
    }

    /**
     * OpenBLAS's idle worker threads spin for 2^28 cycles (~0.1 s) after every multi-threaded GEMM before they sleep;
     * on a CPU executor that spin takes a core from the Java loops and expert workers that run between GEMMs
     * (measured: 60-90 ms of CPU per 100 ms after a GEMM; value 4 = sleep at once). OpenBLAS reads the variable when
     * it loads, so it can only be set for JVMs not started yet: the executors. jobs/common.sh sets it for the driver.
     */
    static final String BLAS_SPIN_ENV = "OPENBLAS_THREAD_TIMEOUT", BLAS_SPIN_DEFAULT = "4";

    /** The configuration of a sigmoe application (spark.* system properties, as spark-submit sets them, included). */
    public static SparkConf conf(String master, String appName) {
        SparkConf c = new SparkConf().setMaster(master).setAppName(appName)
                .setIfMissing("spark.ui.showConsoleProgress", "false")
                .setIfMissing("spark.executorEnv." + BLAS_SPIN_ENV,
                        System.getenv().getOrDefault(BLAS_SPIN_ENV, BLAS_SPIN_DEFAULT));
        if (isLocal(master)) {
            c.set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.ui.enabled", "false");
        }
        return c;
    }

    /** A context; a spark:// master that cannot be reached fails in seconds, not after Spark's minute of retries. */
    public static JavaSparkContext start(String master, String appName) {
        MasterProbe.check(master);
        return new JavaSparkContext(conf(master, appName));
    }

    /**
     * Cores per slice task on a local master: the master's threads shared by the W slices (at least 1). A slice task
     * caps ND4J, BLAS and its Java loops at spark.task.cpus, so with Spark's default of 1 a single slice on local[*]
     * would compute on one core. Not local (a cluster decides its own): -1.
     */
    static int localTaskCpus(String master, int workers) {
        java.util.regex.Matcher m = LOCAL.matcher(master);
        if (!m.matches()) return -1;
        int threads = m.group(1) == null ? 1 : m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(m.group(1));
        return Math.max(1, threads / Math.max(1, workers));
    }

    /** Barrier slot checks: every second, 600 times. */
    public static final String BARRIER_CHECK_INTERVAL = "1s", BARRIER_CHECK_MAX_FAILURES = "600";

    /** A training context: on a local master, spark.task.cpus = the master's threads / W unless the user set it. */
    public static JavaSparkContext startForTraining(String master, String appName, int workers) {
        SparkConf c = conf(master, appName);
        int cpus = localTaskCpus(master, workers);
        if (cpus > 0) c.setIfMissing("spark.task.cpus", Integer.toString(cpus));
        // Spark checks a barrier stage's slots before it runs it (the slice placement, and the span jobs with the
        // global regulariser, e.g. a retry after an executor loss): look every second, not every 15 s (Spark's default,
        // which holds a run that long after the slots are back), for up to 10 minutes. SlicePlacement waits itself first.
        c.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", BARRIER_CHECK_INTERVAL);
        c.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", BARRIER_CHECK_MAX_FAILURES);
        MasterProbe.check(master);
        return new JavaSparkContext(c);
    }
}
