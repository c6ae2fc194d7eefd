package sigmoe.nn.moe;

import sigmoe.nn.Rng;

/**
 * An independent σ-MoE in plain double loops: every expert is computed for every token and the result masked to the
 * top-K (paper.md §1.5 "dense masked" form, N_E/K× the cost). Forward and a hand-derived backward, with the entropy
 * regulariser and expert dropout drawn in the layer's documented order (token-major, rng.nextFloat() < δ).
 * Arrays are flat, c-order: w1 [N_E,d,G], w2 [N_E,G,d], w3 [N_E,d], x and dy [N,d].
 */
final class DenseMaskedReference {
    final int n, d, ne, g, k;
    final double[] w1, w2, w3;
    // forward results
    double[] y, z, s, a;   // a: pre-activations [N, N_E, G]
    boolean[] selected;    // [N, N_E]
    boolean[] dropped;     // [N, N_E]
    double regLoss;
    // backward results
    double[] dx, dw1, dw2, dw3;
    private double[] softmax, logP;
    private double[] x;
    private boolean regOn;

    DenseMaskedReference(int n, int d, int ne, int g, int k, double[] w1, double[] w2, double[] w3) {
        this.n = n; this.d = d; this.ne = ne; this.g = g; this.k = k;
        this.w1 = w1; this.w2 = w2; this.w3 = w3;
    }

    void forward(double[] x, boolean training, double delta, long seed, double gamma) {
        this.x = x;
        z = new double[n * ne];
        s = new double[n * ne];
        dropped = new boolean[n * ne];
        selected = new boolean[n * ne];
        Rng rng = new Rng(seed);
        for (int t = 0; t < n; t++)
            for (int e = 0; e < ne; e++) {
                double v = 0;
                for (int i = 0; i < d; i++) v += x[t * d + i] * w3[e * d + i];
                z[t * ne + e] = v;
                s[t * ne + e] = 1 / (1 + Math.exp(-v));
                if (training && delta > 0) dropped[t * ne + e] = rng.nextFloat() < delta;
            }
        for (int t = 0; t < n; t++) {
            // K times: the largest surviving score, lowest index on ties
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < ne; e++) {
                    int i = t * ne + e;
                    if (dropped[i] || selected[i]) continue;
                    if (best < 0 || s[i] > s[t * ne + best]) best = e;
                }
                if (best >= 0) selected[t * ne + best] = true;
            }
        }
        a = new double[n * ne * g];
        y = new double[n * d];
        for (int t = 0; t < n; t++)
            for (int e = 0; e < ne; e++) {
                double gm = selected[t * ne + e] ? s[t * ne + e] : 0;
                for (int c = 0; c < g; c++) {
                    double v = 0;
                    for (int i = 0; i < d; i++) v += x[t * d + i] * w1[(e * d + i) * g + c];
                    a[(t * ne + e) * g + c] = v;
                    double hh = Math.max(v, 0);
                    for (int j = 0; j < d; j++) y[t * d + j] += gm * hh * w2[(e * g + c) * d + j];
                }
            }
        regOn = training && gamma > 0;
        regLoss = 0;
        if (regOn) {
            softmax = new double[n * ne];
            double[] p = new double[ne];
            for (int t = 0; t < n; t++) {
                double sum = 0;
                for (int e = 0; e < ne; e++) sum += Math.exp(z[t * ne + e]);
                for (int e = 0; e < ne; e++) {
                    softmax[t * ne + e] = Math.exp(z[t * ne + e]) / sum;
                    p[e] += softmax[t * ne + e] / n;
                }
            }
            logP = new double[ne];
            for (int e = 0; e < ne; e++) { logP[e] = Math.log(p[e]); regLoss += p[e] * logP[e]; }
        }
    }

    void backward(double[] dy, double gamma) {
        dx = new double[n * d];
        dw1 = new double[ne * d * g];
        dw2 = new double[ne * g * d];
        dw3 = new double[ne * d];
        double[] dz = new double[n * ne];
        for (int t = 0; t < n; t++)
            for (int e = 0; e < ne; e++) {
                boolean on = selected[t * ne + e];
                double gm = on ? s[t * ne + e] : 0;
                double dgm = 0;
                for (int c = 0; c < g; c++) {
                    double av = a[(t * ne + e) * g + c], hh = Math.max(av, 0);
                    double dh = 0;
                    for (int j = 0; j < d; j++) {
                        dh += dy[t * d + j] * w2[(e * g + c) * d + j];
                        dw2[(e * g + c) * d + j] += gm * hh * dy[t * d + j];
                    }
                    dgm += dh * hh;
                    double da = av > 0 ? gm * dh : 0;
                    for (int i = 0; i < d; i++) {
                        dw1[(e * d + i) * g + c] += x[t * d + i] * da;
                        dx[t * d + i] += da * w1[(e * d + i) * g + c];
                    }
                }
                double sv = s[t * ne + e];
                if (on) dz[t * ne + e] += dgm * sv * (1 - sv);
            }
        if (regOn) {
            for (int t = 0; t < n; t++) {
                double dot = 0;
                for (int e = 0; e < ne; e++) dot += softmax[t * ne + e] * logP[e];
                for (int e = 0; e < ne; e++)
                    dz[t * ne + e] += gamma / n * softmax[t * ne + e] * (logP[e] - dot);
            }
        }
        for (int t = 0; t < n; t++)
            for (int e = 0; e < ne; e++)
                for (int i = 0; i < d; i++) {
                    dw3[e * d + i] += dz[t * ne + e] * x[t * d + i];
                    dx[t * d + i] += dz[t * ne + e] * w3[e * d + i];
                }
    }
}
