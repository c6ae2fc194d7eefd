package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.config.RunConfig;
import sigmoe.testutil.LocalCluster;
import sigmoe.testutil.TestCorpora;

/**
 * The trainer with separate executor JVMs: Spark's local-cluster master (stack.md §7). It needs a SPARK_HOME with a
 * jars/ folder; surefire points SPARK_HOME at target/sparkhome and this test fills it with links to the test
 * classpath's jars.
 */
class LocalClusterTest {
    @TempDir static Path tmp;

    @Test
    void twoExecutorJvmsTrainWithReplicasThatSurviveBetweenRounds() throws Exception {
        LocalCluster.prepareSparkHome();
        Path corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 60_000, 6_000, 6_000);
        SparkConf conf = LocalCluster.conf("LocalClusterTest", 2, 1, 1024, LocalCluster.classes(),
                System.getProperty("sigmoe.jvm.flags", ""));
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            sc.setLogLevel("WARN");
            List<Integer> ids = new ArrayList<>(List.of(0, 1, 2, 3));
            Set<Long> pids = new HashSet<>(sc.parallelize(ids, 4).map(i -> {
                Thread.sleep(300);
                return ProcessHandle.current().pid();
            }).collect());
            assertEquals(2, pids.size(), "two executor JVMs");
            assertTrue(!pids.contains(ProcessHandle.current().pid()), "executors are not the driver");

            String dir = tmp.resolve("run").toString();
            RunConfig rc = SparkTrainerTest.config(dir, 12, 2, 3, "train.data=" + corpus);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            SparkTrainer.run(rc, sc, new PrintStream(log, true, "UTF-8"));
            String homes = log.toString("UTF-8").lines().filter(l -> l.startsWith("slice homes:")).findFirst().orElse("");
            assertTrue(homes.matches("slice homes: executor \\d+ \\[\\d] executor \\d+ \\[\\d]"),
                    "one slice per single-core executor: " + homes);
            List<JsonNode> m = new ArrayList<>();
            for (String l : Files.readAllLines(Path.of(dir, "metrics.jsonl"))) m.add(new ObjectMapper().readTree(l));
            assertEquals(4, m.size());
            assertTrue(m.get(3).get("loss").asDouble() < m.get(0).get("loss").asDouble(), "loss falls");
            for (JsonNode r : m) assertEquals(0, r.get("rebuilds").asLong(), "replicas stay on their executors");
            long sel = 0;
            for (JsonNode c : m.get(3).get("experts").get(1).get("counts")) sel += c.asLong();
            assertEquals(3L * 8 * 32 * 2, sel);
        } finally {
            sc.stop();
        }
    }
}
