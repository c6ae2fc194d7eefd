package sigmoe.eval;

import java.util.BitSet;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Driver-side progress of a distributed evaluation: a Spark listener that counts the evaluation job's successful
 * tasks (one per stream range, identified by a job group) and prints a line per completed range. Losses are not
 * known before the results arrive, so lines show tokens, throughput and ETA only. Listener events are delivered
 * asynchronously; {@link #close()} stops all printing so that nothing follows the caller's final output.
 */
final class PartitionProgress extends SparkListener {
    private final JavaSparkContext jsc;
    private final String group = "sigmoe-eval-" + UUID.randomUUID();
    private final long[] tokens;
    private final EvalProgress lines;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final BitSet done = new BitSet();
    private long doneTokens;
    private boolean closed;

    private PartitionProgress(JavaSparkContext jsc, long[] tokens, Consumer<String> out) {
        this.jsc = jsc;
        this.tokens = tokens;
        long t = 0;
        for (long x : tokens) t += x;
        this.lines = new EvalProgress("partition", t, out, 0);
    }

    static PartitionProgress attach(JavaSparkContext jsc, long[] tokens, Consumer<String> out) {
        PartitionProgress p = new PartitionProgress(jsc, tokens, out);
        jsc.sc().addSparkListener(p);
        return p;
    }

    String group() { return group; }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        Properties props = e.properties();
        if (props != null && group.equals(props.getProperty("spark.jobGroup.id"))) stages.add(e.stageInfo().stageId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!stages.contains(e.stageId()) || !e.taskInfo().successful()) return;
        int partition = e.taskInfo().index();
        synchronized (this) {
            // a speculative or retried copy of a finished range does not count twice
            if (closed || partition < 0 || partition >= tokens.length || done.get(partition)) return;
            done.set(partition);
            doneTokens += tokens[partition];
            lines.update(done.cardinality(), tokens.length, new Evaluator.Result(doneTokens, Double.NaN));
        }
    }

    /** Detaches the listener; no line is printed after this returns. */
    synchronized void close() {
        closed = true;
        jsc.sc().removeSparkListener(this);
    }
}
