package sigmoe.spark;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the driver publishes at the start of a round ({@link StateServer}): the averaged parameters and Adam moments
 * (flat, in the ParamStore layout) and the global step every slice resumes from.
 */
public record RoundState(long step, long adamStep, float[] params, float[] m, float[] v) {

    /** A copy of a flat FLOAT array (the model's parameter buffer): the published state must not alias the model. */
    static float[] copyOf(INDArray flat) {
        if (flat.dataType() != DataType.FLOAT)
            throw new IllegalArgumentException("the Spark trainer exchanges FLOAT parameters, got " + flat.dataType());
        float[] out = new float[Math.toIntExact(flat.length())];
        FloatBuffer b = flat.data().asNioFloat().duplicate();
        b.position(Math.toIntExact(flat.offset()));
        b.get(out);
        Reference.reachabilityFence(flat);
        return out;
    }
}
