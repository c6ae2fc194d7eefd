package sigmoe.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * A round as a barrier stage (all slices start together, so they can meet in the driver's all-reduce at every step). Spark's barrier API is
 * Scala-only, so the task is a small serialisable Function1 holding only the round's spec and broadcast.
 */
final class BarrierRound extends AbstractFunction1<Iterator<Integer>, Iterator<SliceResult.SliceOutput>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final RoundSpec spec;
    private final Broadcast<RoundState> bc;

    private BarrierRound(RoundSpec spec, Broadcast<RoundState> bc) {
        this.spec = spec;
        this.bc = bc;
    }

    static JavaRDD<SliceResult.SliceOutput> map(JavaRDD<Integer> slices, RoundSpec spec, Broadcast<RoundState> bc) {
        return slices.rdd().barrier()
                .mapPartitions(new BarrierRound(spec, bc), true, ClassTag$.MODULE$.apply(SliceResult.SliceOutput.class))
                .toJavaRDD();
    }

    @Override
    public Iterator<SliceResult.SliceOutput> apply(Iterator<Integer> it) {
        try {
            SliceResult.SliceOutput out = SliceTask.run(it.next(), spec, bc);
            return JavaConverters.asScalaIterator(List.of(out).iterator());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
