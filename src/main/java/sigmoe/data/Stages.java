package sigmoe.data;

import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the prepare job's Spark jobs (Spark UI, logs) and logs how long each stage took at DEBUG
 * (-Dsigmoe.log.level=DEBUG), which is where to look when preparation is slower than expected.
 */
final class Stages {
    private static final Logger LOG = LoggerFactory.getLogger(Stages.class);
    private final JavaSparkContext jsc;
    private String current;
    private long start;

    Stages(JavaSparkContext jsc) {
        this.jsc = jsc;
    }

    /** Ends the current stage (if any) and starts the next. */
    void begin(String name) {
        end();
        current = name;
        start = System.nanoTime();
        jsc.setJobDescription("prepare: " + name);
    }

    /** Ends the current stage. */
    void end() {
        if (current != null && LOG.isDebugEnabled()) {
            LOG.debug(String.format("prepare: %s took %.3f s", current, (System.nanoTime() - start) / 1e9));
        }
        current = null;
        jsc.setJobDescription(null);
    }
}
