package sigmoe.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The mean of the slices' uploaded states, written into the next round's buffers: each index's W floats added in
 * double in slice order and rounded to float once (exact for W = 2; deterministic for any W, whatever the order in
 * which tasks finish); one slice's mean is its own floats, bit for bit, and a -0.0 in every slice stays -0.0.
 */
final class RoundMean {
    /** Values averaged per block (256 KiB of floats): the working set stays in the cache. */
    static final int BLOCK = 1 << 16;

    private RoundMean() {}

    /**
     * Writes the mean of {@code slices} (per slice: parameters, Adam m, Adam v as little-endian bytes) into {@code out};
     * true when every mean is finite (checked in the same pass, while each block is in the cache).
     */
    static boolean into(RoundBuffers out, ByteBuffer[][] slices) {
        int workers = slices.length, n = out.n;
        // In blocks through heap arrays: bulk copies out of the direct buffers and plain loops the JIT vectorises
        // (FloatBuffer.get(i) per element was ~15 ns); the sums and their order are as element by element, so the
        // blocks can go to parallel workers (the executors wait for this mean: its cores are free) with the same bits.
        FloatBuffer[][] f = new FloatBuffer[3][workers];
        FloatBuffer[] dst = new FloatBuffer[3];
        for (int k = 0; k < 3; k++) {
            for (int w = 0; w < workers; w++)
                f[k][w] = slices[w][k].duplicate().clear().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            dst[k] = out.floats(k);
        }
        int blocks = (n + BLOCK - 1) / BLOCK, ways = Math.max(1, Math.min(3 * blocks, Runtime.getRuntime().availableProcessors()));
        // NaN once any mean is NaN (Math.max propagates it), > MAX_VALUE once one is infinite
        float maxAbs = java.util.stream.IntStream.range(0, ways).parallel()
                .mapToObj(p -> averageBlocks(f, dst, n, workers, (int) ((long) 3 * blocks * p / ways), (int) ((long) 3 * blocks * (p + 1) / ways)))
                .reduce(0f, Math::max);
        return maxAbs <= Float.MAX_VALUE;
    }

    /** Averages blocks [from, to) of the three arrays (block b: array b / blocks); returns their largest |mean|. */
    private static float averageBlocks(FloatBuffer[][] f, FloatBuffer[] dst, int n, int workers, int from, int to) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[] o = new float[Math.min(n, BLOCK)], term = workers > 1 ? new float[o.length] : null;
        double[] sum = workers > 2 ? new double[o.length] : null;
        float maxAbs = 0;
        for (int b = from; b < to; b++) {
            int k = b / blocks, at = (b % blocks) * BLOCK, len = Math.min(BLOCK, n - at);
            // the first term as it is: one slice's mean is its own floats, and a -0.0 in every slice stays -0.0
            f[k][0].get(at, o, 0, len);
            if (workers == 2) { // the exact double sum of two floats, halved and rounded once
                f[k][1].get(at, term, 0, len);
                for (int i = 0; i < len; i++) o[i] = (float) (((double) o[i] + term[i]) / 2);
            } else if (workers > 2) {
                for (int i = 0; i < len; i++) sum[i] = o[i];
                for (int w = 1; w < workers; w++) {
                    f[k][w].get(at, term, 0, len);
                    for (int i = 0; i < len; i++) sum[i] += term[i];
                }
                for (int i = 0; i < len; i++) o[i] = (float) (sum[i] / workers);
            }
            for (int i = 0; i < len; i++) maxAbs = Math.max(maxAbs, Math.abs(o[i])); // the block is still in the cache
            dst[k].put(at, o, 0, len);
        }
        return maxAbs;
    }
}
