package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import sigmoe.testutil.LocalCluster;

class SlicePlacementTest {
    @Test
    void localMastersHaveThreadsOverTaskCpusSlots() {
        assertEquals(1, SlicePlacement.localSlots("local", 1));
        assertEquals(4, SlicePlacement.localSlots("local[4]", 1));
        assertEquals(2, SlicePlacement.localSlots("local[4,3]", 2));
        assertEquals(Runtime.getRuntime().availableProcessors(), SlicePlacement.localSlots("local[*]", 1));
        assertEquals(-1, SlicePlacement.localSlots("local-cluster[2,1,1024]", 1));
        assertEquals(-1, SlicePlacement.localSlots("spark://host:7077", 1));
    }

    @Test
    void theLogLineGroupsSlicesByExecutor() {
        assertEquals("slice homes: executor 0 [1, 2] executor 1 [0]", SlicePlacement.describe(List.of("1", "0", "0")));
        assertTrue(SlicePlacement.describe(List.of()).contains("dynamic allocation"));
    }

    /** A cluster without W slots: Spark's barrier check fails the placement (here at its first look) and says why. */
    @Test
    void aClusterWithTooFewSlotsIsAClearError() throws Exception {
        LocalCluster.prepareSparkHome();
        SparkConf conf = LocalCluster.conf("SlicePlacementTest", 1, 1, 1024, LocalCluster.classes(),
                System.getProperty("sigmoe.jvm.flags", "")).set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            sc.setLogLevel("ERROR");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SlicePlacement.place(sc, sc.parallelize(List.of(0, 1), 2).cache(), 2));
            assertTrue(e.getMessage().startsWith("train.workers = 2 slices need 2 task slots"), e.getMessage());
            assertTrue(e.getMessage().contains("local-cluster[1,1,1024]"), e.getMessage());
        } finally {
            sc.stop();
        }
    }
}
