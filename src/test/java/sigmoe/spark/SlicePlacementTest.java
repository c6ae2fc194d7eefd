package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import sigmoe.testutil.LocalCluster;

class SlicePlacementTest {
    @Test
    void theLogLineGroupsSlicesByExecutor() {
        assertEquals("slice homes: executor 0 [1, 2] executor 1 [0]", SlicePlacement.describe(List.of("1", "0", "0")));
        assertTrue(SlicePlacement.describe(List.of()).contains("dynamic allocation"));
    }

    /**
     * A cluster of one single-core executor and W = 2: the placement waits for the second slot (here 12 s, long
     * enough for the executor to register), says so, then fails with a message naming train.workers and the slots
     * it got; two slices would otherwise wait for each other forever.
     */
    @Test
    void aClusterWithTooFewSlotsIsAClearErrorAfterTheWait() throws Exception {
        LocalCluster.prepareSparkHome();
        SparkConf conf = LocalCluster.conf("SlicePlacementTest", 1, 1, 1024, LocalCluster.classes(),
                System.getProperty("sigmoe.jvm.flags", ""));
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            sc.setLogLevel("ERROR");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SlicePlacement.place(sc,
                    sc.parallelize(List.of(0, 1), 2).cache(), 2, 12_000, new PrintStream(log, true, "UTF-8")));
            assertTrue(e.getMessage().startsWith("train.workers = 2 slices need 2 task slots"), e.getMessage());
            assertTrue(e.getMessage().matches(".*the executors of local-cluster\\[1,1,1024] offered [01] after 12 s.*"), e.getMessage());
            assertTrue(log.toString("UTF-8").startsWith("waiting for 2 task slots, "), log.toString("UTF-8"));
        } finally {
            sc.stop();
        }
    }

    /** Two single-core executors: the placement waits for both to register, then gives each slice its own. */
    @Test
    void twoExecutorsGetOneSliceEach() throws Exception {
        LocalCluster.prepareSparkHome();
        JavaSparkContext sc = new JavaSparkContext(LocalCluster.conf("SlicePlacementTest", 2, 1, 1024, LocalCluster.classes(),
                System.getProperty("sigmoe.jvm.flags", "")));
        try {
            sc.setLogLevel("ERROR");
            List<String> homes = SlicePlacement.place(sc, sc.parallelize(List.of(0, 1), 2).cache(), 2, 120_000,
                    new PrintStream(new ByteArrayOutputStream(), true, "UTF-8"));
            assertEquals(2, homes.size());
            assertTrue(!homes.get(0).equals(homes.get(1)), "distinct executors: " + homes);
        } finally {
            sc.stop();
        }
    }
}
