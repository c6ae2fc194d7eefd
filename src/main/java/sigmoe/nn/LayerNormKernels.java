package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm's forward and backward over rows, as {@link Kernels}' other loops: a Vector API path for FLOAT
 * ({@link VecKernels}) and a generic {@link Mem} path (DOUBLE gradient checks, the reference). ND4J's layer_norm has
 * no epsilon and is 19× (forward) / 110× (backward) slower (nd4j-only.md §5–7).
 */
public final class LayerNormKernels {
    private LayerNormKernels() {}

    /**
     * y = x̂ ⊙ γ + β with x̂ = (x − μ) / sqrt(σ² + eps) per row, σ² the population variance (as PyTorch).
     * Writes x̂ (what backward needs, so the caller may overwrite x afterwards), μ and 1/σ per row.
     */
    public static void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, INDArray y,
                                        INDArray xhat, double[] mean, double[] rstd) {
        int n = Kernels.rows(x), d = Kernels.cols(x);
        checkLn(n, d, gamma, beta, y, xhat, mean, rstd);
        if (Kernels.fast(x, gamma, beta, y, xhat)) { VecKernels.layerNormForward(x, gamma, beta, eps, y, xhat, mean, rstd, n, d); return; }
        gLayerNormForward(Mem.of(x), Mem.of(gamma), Mem.of(beta), eps, Mem.of(y), Mem.of(xhat), mean, rstd, n, d);
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(gamma);
        Reference.reachabilityFence(beta);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(xhat);
    }

    static void gLayerNormForward(Mem x, Mem g, Mem b, double eps, Mem y, Mem xh, double[] mean, double[] rstd,
                                  int n, int d) {
        for (int r = 0; r < n; r++) {
            int o = r * d;
            double s = 0;
            for (int j = 0; j < d; j++) s += x.get(o + j);
            double mu = s / d;
            double v = 0;
            for (int j = 0; j < d; j++) { double t = x.get(o + j) - mu; v += t * t; }
            double rs = 1 / Math.sqrt(v / d + eps);
            mean[r] = mu;
            rstd[r] = rs;
            for (int j = 0; j < d; j++) {
                double h = (x.get(o + j) - mu) * rs;
                xh.set(o + j, h);
                y.set(o + j, h * g.get(j) + b.get(j));
            }
        }
    }

    /**
     * From dy, the cached x̂ and 1/σ: dγ += Σ_rows dy ⊙ x̂, dβ += Σ_rows dy, and
     * dx = (1/σ)·(g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) with g = dy ⊙ γ. dx may be dy (in place).
     */
    public static void layerNormBackward(INDArray dy, INDArray xhat, double[] rstd, INDArray gamma, INDArray dx,
                                         INDArray dGamma, INDArray dBeta) {
        int n = Kernels.rows(dy), d = Kernels.cols(dy);
        checkLn(n, d, gamma, dGamma, xhat, dx, rstd, rstd);
        if (Mem.of(dBeta).length != d) throw new IllegalArgumentException("LayerNorm dβ length != " + d);
        if (Kernels.fast(dy, xhat, gamma, dx, dGamma, dBeta)) {
            VecKernels.layerNormBackward(dy, xhat, rstd, gamma, dx, dGamma, dBeta, n, d);
            return;
        }
        gLayerNormBackward(Mem.of(dy), Mem.of(xhat), rstd, Mem.of(gamma), Mem.of(dx), Mem.of(dGamma), Mem.of(dBeta), n, d);
        Reference.reachabilityFence(dy);
        Reference.reachabilityFence(xhat);
        Reference.reachabilityFence(gamma);
        Reference.reachabilityFence(dx);
        Reference.reachabilityFence(dGamma);
        Reference.reachabilityFence(dBeta);
    }

    static void gLayerNormBackward(Mem dy, Mem xh, double[] rstd, Mem g, Mem dx, Mem dg, Mem db, int n, int d) {
        double[] sg = new double[d], sb = new double[d];
        for (int r = 0; r < n; r++) {
            int o = r * d;
            double s1 = 0, s2 = 0;
            for (int j = 0; j < d; j++) {
                double dyj = dy.get(o + j), h = xh.get(o + j), gj = dyj * g.get(j);
                s1 += gj;
                s2 += gj * h;
                sg[j] += dyj * h;
                sb[j] += dyj;
            }
            double m1 = s1 / d, m2 = s2 / d, rs = rstd[r];
            for (int j = 0; j < d; j++) {
                double gj = dy.get(o + j) * g.get(j);
                dx.set(o + j, rs * (gj - m1 - xh.get(o + j) * m2));
            }
        }
        for (int j = 0; j < d; j++) { dg.add(j, sg[j]); db.add(j, sb[j]); }
    }

    private static void checkLn(int n, int d, INDArray gamma, INDArray beta, INDArray a, INDArray b, double[] s1, double[] s2) {
        if (gamma.length() != d || beta.length() != d)
            throw new IllegalArgumentException("LayerNorm parameters have length " + gamma.length() + "/" + beta.length()
                    + " but rows are " + d + " wide");
        if (Kernels.rows(a) != n || Kernels.cols(a) != d || Kernels.rows(b) != n || Kernels.cols(b) != d)
            throw new IllegalArgumentException("LayerNorm buffers must be " + n + "x" + d);
        if (s1.length < n || s2.length < n)
            throw new IllegalArgumentException("LayerNorm row statistics arrays shorter than " + n + " rows");
    }
}
