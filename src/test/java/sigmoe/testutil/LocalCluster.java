package sigmoe.testutil;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;

/**
 * Spark's local-cluster master for tests and benchmarks: executor JVMs of their own, launched from a SPARK_HOME whose
 * jars/ links the test classpath's jars (surefire sets SPARK_HOME to target/sparkhome), bound to the loopback.
 */
public final class LocalCluster {
    private LocalCluster() {}

    /** Links every jar of this JVM's classpath into $SPARK_HOME/jars (once; concurrent test classes may race). */
    public static String prepareSparkHome() throws IOException {
        String home = System.getenv("SPARK_HOME");
        if (home == null) throw new IllegalStateException("SPARK_HOME is not set (surefire sets it to target/sparkhome)");
        Path jars = Path.of(home, "jars");
        Files.createDirectories(jars);
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (!e.endsWith(".jar") || !Files.exists(p)) continue;
            Path link = jars.resolve(p.getFileName());
            if (!Files.exists(link)) {
                try {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                } catch (FileAlreadyExistsException race) {
                    // another test class linked it first
                }
            }
        }
        return home;
    }

    /**
     * local-cluster[executors, cores, mb] on the loopback without the web UI; executors see {@code classes} and run
     * with {@code javaOptions} and one OpenMP thread per task core.
     */
    public static SparkConf conf(String appName, int executors, int cores, int mb, String classes, String javaOptions) {
        return new SparkConf().setMaster("local-cluster[" + executors + "," + cores + "," + mb + "]").setAppName(appName)
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.executor.extraClassPath", classes)
                .set("spark.executor.extraJavaOptions", javaOptions).set("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(cores))
                .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
                // as the trainer's context: the slice placement's barrier stage looks for free slots every second
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", sigmoe.cli.SparkContexts.BARRIER_CHECK_INTERVAL)
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", sigmoe.cli.SparkContexts.BARRIER_CHECK_MAX_FAILURES);
    }

    /** target/classes and target/test-classes, as executors need them. */
    public static String classes() {
        return Path.of("target/classes").toAbsolutePath() + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath();
    }
}
