package sigmoe.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A deliberately naive Transformer-XL relative attention written straight from formats.md §3, one query and one key
 * at a time, in double, with its own sinusoid: the oracle the layer must match. Shares no code with the layer.
 */
final class AttentionReference {
    private AttentionReference() {}

    /** out [B·T][d] for src [B·(M+T)][d] (memory rows then segment rows per stream), parameters read from ps. */
    static double[][] forward(ParamStore ps, String prefix, double[][] src, int B, int M, int T, int d, int H, int hs) {
        double[][] wq = matrix(ps, prefix + ".q.weight"), wk = matrix(ps, prefix + ".k.weight");
        double[][] wv = matrix(ps, prefix + ".v.weight"), wr = matrix(ps, prefix + ".r.weight");
        double[][] wo = matrix(ps, prefix + ".o.weight");
        double[][] u = matrix(ps, prefix + ".content_bias"), vb = matrix(ps, prefix + ".position_bias");
        double scale = ps.get(prefix + ".scale").value().getDouble(0);
        int L = M + T;
        double[][] out = new double[B * T][d];
        for (int b = 0; b < B; b++) {
            double[][] concat = new double[T][H * hs];
            for (int i = 0; i < T; i++) {
                double[] a = src[b * L + M + i];
                for (int h = 0; h < H; h++) {
                    double[] q = project(wq, h, hs, a);
                    double[] score = new double[L];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < L; j++) {
                        if (j > M + i) { score[j] = Double.NEGATIVE_INFINITY; continue; }
                        double[] k = project(wk, h, hs, src[b * L + j]);
                        int rel = j - (M + i);
                        double[] p = new double[d];
                        for (int c = 0; c < d; c++) {
                            int pair = c / 2;
                            double angle = rel / Math.pow(10000.0, 2.0 * pair / d);
                            p[c] = c % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
                        }
                        double[] r = project(wr, h, hs, p);
                        double s = 0;
                        for (int c = 0; c < hs; c++) s += (q[c] + u[h][c]) * k[c] + (q[c] + vb[h][c]) * r[c];
                        score[j] = scale * s;
                        max = Math.max(max, score[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < L; j++) sum += Math.exp(score[j] - max);
                    for (int j = 0; j <= M + i; j++) {
                        double p = Math.exp(score[j] - max) / sum;
                        double[] v = project(wv, h, hs, src[b * L + j]);
                        for (int c = 0; c < hs; c++) concat[i][h * hs + c] += p * v[c];
                    }
                }
            }
            for (int i = 0; i < T; i++)
                for (int o = 0; o < d; o++) {
                    double s = 0;
                    for (int c = 0; c < H * hs; c++) s += wo[o][c] * concat[i][c];
                    out[b * T + i][o] = s;
                }
        }
        return out;
    }

    /** Rows [h·hs, (h+1)·hs) of W times x: head h's slice of x Wᵀ. */
    private static double[] project(double[][] w, int h, int hs, double[] x) {
        double[] y = new double[hs];
        for (int c = 0; c < hs; c++) {
            double s = 0;
            for (int k = 0; k < x.length; k++) s += w[h * hs + c][k] * x[k];
            y[c] = s;
        }
        return y;
    }

    static double[][] matrix(ParamStore ps, String name) { return rows(ps.get(name).value()); }

    static double[][] rows(INDArray a) {
        int n = (int) a.size(0), m = (int) a.size(1);
        double[][] x = new double[n][m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) x[i][j] = a.getDouble(i, j);
        return x;
    }
}
