package sigmoe.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;

/**
 * The evaluation protocol spread over Spark: the B streams are cut into contiguous ranges, one per partition; each
 * task loads the checkpoint and the split itself and runs the same {@link Evaluator} over its streams (each stream
 * keeps its own memory, so the split into tasks does not change what is computed). The additive results (scored
 * tokens, summed cross-entropy) are summed on the driver, in partition order.
 */
public final class DistributedEvaluator {
    private DistributedEvaluator() {}

    /**
     * Evaluates {@code spec} with {@code partitions} tasks (at most B; 0 = the context's default parallelism).
     * {@code progress} receives a line as each partition completes (from Spark's listener thread, never after
     * this method returns); may be null.
     */
    public static Evaluator.Result evaluate(JavaSparkContext jsc, EvalSpec spec, int partitions, Consumer<String> progress)
            throws IOException {
        int p = partitions > 0 ? partitions : Math.max(1, jsc.defaultParallelism());
        List<int[]> ranges = StreamRanges.split(spec.batch(), p);
        Configuration hadoop = jsc.hadoopConfiguration();
        // the driver checks the split once (CRC) and learns how many tokens each range scores, for progress
        TokenStream split = Corpus.open(spec.data(), hadoop).split(spec.split(), true);
        long[] tokens = new long[ranges.size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = spec.tokens(split, ranges.get(i)[0], ranges.get(i)[1]);

        Broadcast<SerializableWritable<Configuration>> conf = jsc.broadcast(new SerializableWritable<>(hadoop));
        PartitionProgress listener = progress == null ? null : PartitionProgress.attach(jsc, tokens, progress);
        try {
            if (listener != null) jsc.setJobGroup(listener.group(), "sigmoe eval " + spec.split() + " of " + spec.checkpoint(), false);
            List<Evaluator.Result> parts = jsc.parallelize(ranges, ranges.size())
                    .mapPartitions(task(spec, conf))
                    .collect();
            Evaluator.Result total = new Evaluator.Result(0, 0);
            for (Evaluator.Result r : parts) total = total.plus(r);
            return total;
        } finally {
            if (listener != null) {
                jsc.clearJobGroup();
                listener.close();
            }
            conf.destroy();
        }
    }

    /** The executor side; a static factory so that the closure holds only these two values. */
    static FlatMapFunction<Iterator<int[]>, Evaluator.Result> task(EvalSpec spec,
                                                                   Broadcast<SerializableWritable<Configuration>> conf) {
        return ranges -> {
            List<Evaluator.Result> out = new ArrayList<>();
            if (!ranges.hasNext()) return out.iterator();
            Configuration c = conf.value().value();
            try {
                LoadedModel m = LoadedModel.load(spec.checkpoint(), c);
                // headers and sizes are checked on open; the payload's CRC was checked on the driver
                TokenStream split = Corpus.open(spec.data(), c).split(spec.split(), false);
                while (ranges.hasNext()) {
                    int[] r = ranges.next();
                    out.add(spec.evaluate(m, split, r[0], r[1], null));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.iterator();
        };
    }
}
