package sigmoe.nn;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The FLOAT path of {@link LossKernels} on the Vector API, directly on ND4J's memory (addressed at 4·offset, as in
 * {@link VecKernels}). Work is split into one small method per row so that C2 compiles it as an ordinary method
 * within the first step (a kernel that runs as one long loop per call is compiled on-stack, late and, after a
 * deoptimisation, runs interpreted for a whole call). exp is {@link VecKernels#exp} and lane sums
 * {@link VecKernels#sumLanes} (lane order), so every JIT tier gives the same bits. Rows run in {@link RowParallel}
 * blocks; the bias gradient's column sums are float partials per fixed chunk of {@link LossKernels#FLUSH} rows,
 * added in double in chunk order, so the bits do not depend on the number of threads.
 */
final class VecLossKernels {
    private VecLossKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    /** Callers keep {@code a} reachable (Reference.reachabilityFence) while they use the view. */
    private static ByteBuffer buf(INDArray a) {
        if (!Mem.isContiguous(a)) throw new IllegalArgumentException("loss kernel needs contiguous c-order arrays");
        return a.data().asNio().order(NO);
    }

    private static int base(INDArray a) { return Math.toIntExact(4 * a.offset()); }

    static void rowStats(INDArray z, INDArray bias, double[] max, double[] logSum, int n, int c) {
        ByteBuffer b = buf(z);
        int o = base(z);
        float[] bv = VecKernels.heap(bias);
        RowParallel.forRange(n, 64, (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                int ro = o + 4 * r * c;
                float mx = rowMax(b, ro, bv, c);
                max[r] = mx;
                logSum[r] = Math.log(rowSumExp(b, ro, bv, c, mx));
            }
        });
        Reference.reachabilityFence(z);
    }

    static float rowMax(ByteBuffer b, int ro, float[] bv, int c) {
        int bound = S.loopBound(c), j = 0;
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; j < bound; j += L) m = m.max(FloatVector.fromByteBuffer(S, b, ro + 4 * j, NO).add(FloatVector.fromArray(S, bv, j)));
        float mx = m.reduceLanes(VectorOperators.MAX);
        for (; j < c; j++) mx = Math.max(mx, b.getFloat(ro + 4 * j) + bv[j]);
        return mx;
    }

    static double rowSumExp(ByteBuffer b, int ro, float[] bv, int c, float mx) {
        int bound = S.loopBound(c), j = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; j < bound; j += L)
            acc = acc.add(VecKernels.exp(FloatVector.fromByteBuffer(S, b, ro + 4 * j, NO).add(FloatVector.fromArray(S, bv, j)).sub(mx)));
        double sum = VecKernels.sumLanes(acc);
        for (; j < c; j++) sum += Math.exp(b.getFloat(ro + 4 * j) + bv[j] - mx);
        return sum;
    }

    static void gradient(INDArray z, INDArray bias, int[] targets, double[] max, double[] logSum, float scale,
                         INDArray dBias, int n, int c) {
        ByteBuffer b = buf(z);
        int o = base(z), chunks = (n + LossKernels.FLUSH - 1) / LossKernels.FLUSH;
        float[] bv = VecKernels.heap(bias);
        float[][] part = new float[chunks][c];
        RowParallel.forRange(chunks, 1, (k0, k1) -> {
            for (int k = k0; k < k1; k++)
                for (int r = k * LossKernels.FLUSH, end = Math.min(n, r + LossKernels.FLUSH); r < end; r++) {
                    int ro = o + 4 * r * c, t = targets[r];
                    if (t < 0) { zeroRow(b, ro, c); continue; }
                    rowGradient(b, ro, bv, c, (float) max[r], (float) logSum[r], scale, part[k]);
                    b.putFloat(ro + 4 * t, b.getFloat(ro + 4 * t) - scale);
                    part[k][t] -= scale;
                }
        });
        double[] tot = new double[c];
        for (int k = 0; k < chunks; k++) for (int j = 0; j < c; j++) tot[j] += part[k][j];
        FloatBuffer db = dBias.data().asNioFloat();
        int off = Math.toIntExact(dBias.offset());
        for (int j = 0; j < c; j++) db.put(off + j, (float) (db.get(off + j) + tot[j]));
        Reference.reachabilityFence(z);
        Reference.reachabilityFence(dBias);
    }

    /** g = scale·exp((z + b − max) − logSum), written over z and added to the column partials. */
    static void rowGradient(ByteBuffer b, int ro, float[] bv, int c, float mx, float ls, float scale, float[] part) {
        int bound = S.loopBound(c), j = 0;
        for (; j < bound; j += L) {
            FloatVector x = FloatVector.fromByteBuffer(S, b, ro + 4 * j, NO).add(FloatVector.fromArray(S, bv, j)).sub(mx).sub(ls);
            FloatVector g = VecKernels.exp(x).mul(scale);
            g.intoByteBuffer(b, ro + 4 * j, NO);
            g.add(FloatVector.fromArray(S, part, j)).intoArray(part, j);
        }
        for (; j < c; j++) {
            float g = scale * (float) Math.exp(b.getFloat(ro + 4 * j) + bv[j] - mx - ls);
            b.putFloat(ro + 4 * j, g);
            part[j] += g;
        }
    }

    private static void zeroRow(ByteBuffer b, int ro, int c) {
        int bound = S.loopBound(c), j = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; j < bound; j += L) zero.intoByteBuffer(b, ro + 4 * j, NO);
        for (; j < c; j++) b.putFloat(ro + 4 * j, 0f);
    }
}
