package sigmoe.nn.moe;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Mem;
import sigmoe.nn.Rng;

/**
 * σ-MoE initialisation, exactly paper.md §1.4 ([M] relative_moe_transformer.py + moe_layer.py), drawn in the order
 * W1, W2, W3 from one generator:
 * <pre>
 * scale = √(2 / n_layers)
 * W1 ~ N(0, (scale/√d)²)          plain normal, not truncated
 * W2 ~ N(0, (scale/√(N_E·G))²)    "standard init" ablation: scale/√G
 * W3 ~ N(0, (scale/√d)²), then std0 = W3.std(); every row /= its L2 norm; W3 *= std0 / W3.std()
 * </pre>
 * (std over all elements, unbiased, as torch.Tensor.std), so all W3 rows have the same norm and W3 keeps its
 * empirical std.
 */
final class MoeInit {
    private MoeInit() {}

    static void initialise(SigmaMoeFfn l, Rng rng, int nLayers, boolean w2FromExpertSize) {
        initialise(l, rng, nLayers, w2FromExpertSize, 1.0, true);
    }

    /**
     * With the Switch baseline's knobs (paper.md §2.3(d)): every std × √initScale ([M] moe.init_scale, 0.1 for
     * Switch) and, when {@code normSelRows} is false, W3 left as drawn (moe.norm_expert_sel_init = 0).
     */
    static void initialise(SigmaMoeFfn l, Rng rng, int nLayers, boolean w2FromExpertSize, double initScale, boolean normSelRows) {
        if (nLayers < 1) throw new IllegalArgumentException("n_layers must be >= 1 for the init scale, got " + nLayers);
        if (!(initScale > 0)) throw new IllegalArgumentException("MoE init scale must be > 0, got " + initScale);
        double scale = Math.sqrt(2.0 / nLayers) * Math.sqrt(initScale);
        normal(l.keys.value(), rng, scale / Math.sqrt(l.dModel));
        normal(l.values.value(), rng, scale / Math.sqrt(w2FromExpertSize ? l.expertSize : (double) l.nExperts * l.expertSize));
        INDArray w3 = l.expertSel.value();
        normal(w3, rng, scale / Math.sqrt(l.dModel));
        if (normSelRows) renormRowsKeepStd(w3, l.nExperts, l.dModel);
    }

    static void normal(INDArray a, Rng rng, double std) {
        Mem m = Mem.of(a);
        for (int i = 0; i < m.length; i++) m.set(i, std * rng.nextGaussian());
        Reference.reachabilityFence(a);
    }

    /** Rows of [rows, cols] scaled to unit L2 norm, then the whole matrix rescaled to its original unbiased std. */
    static void renormRowsKeepStd(INDArray a, int rows, int cols) {
        try {
            Mem m = Mem.of(a);
            double std0 = std(m);
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int c = 0; c < cols; c++) ss += m.get(r * cols + c) * m.get(r * cols + c);
                double inv = 1.0 / Math.sqrt(ss);
                for (int c = 0; c < cols; c++) m.set(r * cols + c, m.get(r * cols + c) * inv);
            }
            double std1 = std(m);
            if (!(std0 > 0 && std1 > 0)) return; // a single element: nothing to match
            double k = std0 / std1;
            for (int i = 0; i < m.length; i++) m.set(i, m.get(i) * k);
        } finally {
            Reference.reachabilityFence(a);
        }
    }

    /** Unbiased standard deviation over all elements (torch.Tensor.std()). */
    static double std(Mem m) {
        int n = m.length;
        if (n < 2) return 0;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += m.get(i);
        mean /= n;
        double ss = 0;
        for (int i = 0; i < n; i++) { double d = m.get(i) - mean; ss += d * d; }
        return Math.sqrt(ss / (n - 1));
    }
}
