package sigmoe.spark;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One round's state as the driver's {@link StateServer} serves it: the parameters, Adam m and Adam v as three
 * little-endian direct buffers (the bytes go to the socket as they are) and the step counters. The exchange averages
 * the slices' uploads straight into the buffers of the next round, so the driver holds that state only here; a
 * checkpoint or a validation copies it out ({@link #toRoundState}, {@link #paramsInto}) when one is due. The buffers
 * stay unchanged while their round is served and during the round after it.
 */
final class RoundBuffers {
    /** The arrays' order: parameters, Adam first moment, Adam second moment. */
    static final int PARAMS = 0, M = 1, V = 2;

    final int n;
    /** Java-allocated direct buffers: their views (duplicates) keep the memory alive, unlike ND4J's asNio views. */
    private final ByteBuffer[] arrays = new ByteBuffer[3];
    long step, adamStep;
    /** Whether every value is finite, when the exchange averaged into these buffers (set by {@link StateServer#average}). */
    boolean finite = true;

    RoundBuffers(int n) {
        this.n = n;
        for (int k = 0; k < 3; k++)
            arrays[k] = ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    }

    long step() { return step; }

    long adamStep() { return adamStep; }

    /** Whether every parameter and moment is finite (an average that is not must never be served). */
    boolean finite() { return finite; }

    /** Array {@code k} as bytes, positioned at 0 (an independent view: concurrent readers do not disturb each other). */
    ByteBuffer bytes(int k) { return arrays[k].duplicate().order(ByteOrder.LITTLE_ENDIAN).clear(); }

    /** Array {@code k} as floats, an independent view. */
    FloatBuffer floats(int k) { return bytes(k).asFloatBuffer(); }

    /** Copies {@code s} in. */
    void fill(RoundState s) {
        step = s.step();
        adamStep = s.adamStep();
        float[][] src = {s.params(), s.m(), s.v()};
        for (int k = 0; k < 3; k++) floats(k).put(src[k]);
        finite = true;
    }

    /** A heap copy (for a checkpoint, which writes float arrays). */
    RoundState toRoundState() {
        float[][] out = new float[3][n];
        for (int k = 0; k < 3; k++) floats(k).get(out[k]);
        return new RoundState(step, adamStep, out[PARAMS], out[M], out[V]);
    }

    /** Copies the parameters into a flat FLOAT array of n values (the driver's model, for validation and checkpoints). */
    void paramsInto(INDArray flat) {
        if (flat.length() != n)
            throw new IllegalArgumentException("the round state has " + n + " parameters, the model's array " + flat.length());
        ByteBuffer dst = flat.data().asNio().order(ByteOrder.nativeOrder()).clear().limit(n * Float.BYTES);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) dst.put(bytes(PARAMS));
        else dst.asFloatBuffer().put(floats(PARAMS));
        Reference.reachabilityFence(flat);
    }
}
