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

    private static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
            "local|local\\[(\\*|\\d+)(,\\d+)?]|local-cluster\\[\\d+,\\d+,\\d+]|spark://.+|yarn|k8s://.+|mesos://.+");

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

    public static JavaSparkContext start(String master, String appName) {
        return new JavaSparkContext(conf(master, appName));
    }
}
