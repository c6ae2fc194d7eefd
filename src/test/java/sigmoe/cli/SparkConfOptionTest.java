package sigmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class SparkConfOptionTest {
    @Test
    void confPairsBecomeSparkSettingsForAnySubcommand() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), "--conf", "spark.sigmoe.test.a=1",
                "train", "--help", "--conf=spark.sigmoe.test.b=x=y");
        assertEquals(0, rc, err.toString());
        assertEquals("1", System.getProperty("spark.sigmoe.test.a"));
        assertEquals("x=y", System.getProperty("spark.sigmoe.test.b"));
        assertEquals("1", SparkContexts.conf("local[1]", "t").get("spark.sigmoe.test.a"));
    }

    @Test
    void executorsGetTheBlasSpinSettingUnlessTheUserSetsIt() {
        String key = "spark.executorEnv." + SparkContexts.BLAS_SPIN_ENV;
        String expected = System.getenv().getOrDefault(SparkContexts.BLAS_SPIN_ENV, SparkContexts.BLAS_SPIN_DEFAULT);
        assertEquals(expected, SparkContexts.conf("local-cluster[2,1,1024]", "t").get(key));
        System.setProperty(key, "20");
        try {
            assertEquals("20", SparkContexts.conf("spark://h:7077", "t").get(key));
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void aLocalTrainingTaskGetsItsShareOfTheMastersThreads() {
        assertEquals(4, SparkContexts.localTaskCpus("local[4]", 1));
        assertEquals(2, SparkContexts.localTaskCpus("local[4]", 2));
        assertEquals(1, SparkContexts.localTaskCpus("local[2]", 3), "never below one core");
        assertEquals(1, SparkContexts.localTaskCpus("local", 1));
        assertEquals(Runtime.getRuntime().availableProcessors(), SparkContexts.localTaskCpus("local[*]", 1));
        assertEquals(2, SparkContexts.localTaskCpus("local[4,3]", 2), "local[N,F]: F is retries, not threads");
        assertEquals(-1, SparkContexts.localTaskCpus("local-cluster[2,1,1024]", 2));
        assertEquals(-1, SparkContexts.localTaskCpus("spark://h:7077", 2));
    }

    @Test
    void aMalformedConfIsAUsageError() {
        for (String bad : new String[] {"executor.memory=8g", "spark.x", "=3"}) {
            StringWriter out = new StringWriter(), err = new StringWriter();
            assertEquals(2, Main.execute(new PrintWriter(out), new PrintWriter(err), "train", "--conf", bad));
            assertTrue(err.toString().contains("--conf needs KEY=VALUE"), err.toString());
            assertEquals(1, err.toString().strip().split("\n").length, err.toString());
        }
    }
}
