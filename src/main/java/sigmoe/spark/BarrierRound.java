package sigmoe.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * A span of rounds as a barrier stage (all slices start together, so they can meet in the driver's all-reduce at every step). Spark's barrier API is
 * Scala-only, so the task is a small serialisable Function1 holding only the round's spec.
 */
final class BarrierRound extends AbstractFunction1<Iterator<Integer>, Iterator<Integer>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final RoundSpec spec;

    private BarrierRound(RoundSpec spec) { this.spec = spec; }

    static JavaRDD<Integer> map(JavaRDD<Integer> slices, RoundSpec spec) {
        return slices.rdd().barrier()
                .mapPartitions(new BarrierRound(spec), true, ClassTag$.MODULE$.apply(Integer.class))
                .toJavaRDD();
    }

    @Override
    public Iterator<Integer> apply(Iterator<Integer> it) {
        try {
            int rounds = SliceTask.run(it.next(), spec);
            return JavaConverters.asScalaIterator(List.of(rounds).iterator());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
