package sigmoe.nn;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * C = α·op(A)·op(B) + β·C through libnd4j's matmul op, for the two cases {@code Nd4j.gemm} refuses or serves badly:
 * <ul>
 *   <li>a strided C (a column block of a wider row-major buffer, e.g. one head's [rows, hs] inside [rows, H·hs]):
 *       {@code Nd4j.gemm} insists on element-wise stride 1 for C, while the op passes the row stride to BLAS as the
 *       leading dimension (no copy; measured: neighbouring columns untouched, same bits as a contiguous C);</li>
 *   <li>batched products over leading dimensions ([H, B, rows, cols] views with any strides, e.g. per-(head, stream)
 *       blocks of row-major activations): one call instead of H·B {@code Nd4j.gemm} calls. Measured on the attention
 *       shapes (64 × [128×64]·[64×256]): the same bits as the loop of 2-D calls, repeatable bit for bit, and 2.2–3.5×
 *       faster than that loop on the loaded 2-core machine (docs/performance.md, Session 2).</li>
 * </ul>
 * Operands may be views of any strides whose last dimension has stride 1.
 */
final class StridedGemm {
    private StridedGemm() {}

    static void mm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
        Nd4j.exec(new Mmul(a, b, c, alpha, beta, MMulTranspose.builder().transposeA(transA).transposeB(transB).build()));
    }
}
