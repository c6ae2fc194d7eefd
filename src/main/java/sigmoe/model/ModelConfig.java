package sigmoe.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture and its regularisation knobs, one typed object (the checkpoint's {@code config}, formats.md §2).
 * Names follow the paper: N_E = {@code nExperts}, G = {@code expertSize}, K = {@code topK},
 * δ = {@code expertDropout}, γ = {@code entropyReg}.
 *
 * @param dFf          dense hidden size; for σ-MoE it must equal nExperts * expertSize, for pkm pkm_keys² (values)
 * @param dropout      residual/embedding/hidden dropout p (0 disables)
 * @param w2InitFromExpertSize the "standard init" ablation: W2's std from G instead of N_E·G (paper.md §1.4)
 * @param options      the baselines' and ablations' knobs (dense_topk's K, standard dropout, Switch init, ...)
 */
public record ModelConfig(
        int vocabSize,
        int dModel,
        int nLayers,
        int nHeads,
        int headDim,
        FfnKind ffn,
        int dFf,
        int nExperts,
        int expertSize,
        int topK,
        double layerNormEps,
        double dropout,
        double expertDropout,
        double entropyReg,
        boolean w2InitFromExpertSize,
        FfnOptions options) {

    public ModelConfig {
        if (options == null) options = FfnOptions.DEFAULT;
    }

    /** The configuration without the variant knobs (σ-MoE / dense behaviour). */
    public ModelConfig(int vocabSize, int dModel, int nLayers, int nHeads, int headDim, FfnKind ffn, int dFf, int nExperts,
                       int expertSize, int topK, double layerNormEps, double dropout, double expertDropout,
                       double entropyReg, boolean w2InitFromExpertSize) {
        this(vocabSize, dModel, nLayers, nHeads, headDim, ffn, dFf, nExperts, expertSize, topK, layerNormEps, dropout,
                expertDropout, entropyReg, w2InitFromExpertSize, FfnOptions.DEFAULT);
    }

    /** Width of the attention's inner projection, H·hs (may differ from d_model, e.g. WT-S 10×41 = 410 vs 412). */
    public int attnDim() { return nHeads * headDim; }

    /** Any mixture-of-experts kind (σ-MoE and the MoE baselines/ablations: they share the σ-MoE tensors). */
    public boolean isMoe() { return ffn.moe; }

    /** A dense configuration. */
    public static ModelConfig dense(int vocab, int d, int layers, int heads, int headDim, int dFf, double dropout) {
        return new ModelConfig(vocab, d, layers, heads, headDim, FfnKind.DENSE, dFf, 0, 0, 0, 1e-5, dropout, 0, 0, false);
    }

    /** A σ-MoE configuration (d_ff = N_E·G). */
    public static ModelConfig sigmaMoe(int vocab, int d, int layers, int heads, int headDim, int nExperts, int expertSize,
                                       int topK, double dropout, double expertDropout, double entropyReg) {
        return new ModelConfig(vocab, d, layers, heads, headDim, FfnKind.SIGMA_MOE, nExperts * expertSize, nExperts,
                expertSize, topK, 1e-5, dropout, expertDropout, entropyReg, false);
    }

    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(v, dModel, nLayers, nHeads, headDim, ffn, dFf, nExperts, expertSize, topK, layerNormEps,
                dropout, expertDropout, entropyReg, w2InitFromExpertSize, options);
    }

    public ModelConfig withDropout(double p, double expertP) {
        return new ModelConfig(vocabSize, dModel, nLayers, nHeads, headDim, ffn, dFf, nExperts, expertSize, topK,
                layerNormEps, p, expertP, entropyReg, w2InitFromExpertSize, options);
    }

    public ModelConfig withEntropyReg(double gamma) {
        return new ModelConfig(vocabSize, dModel, nLayers, nHeads, headDim, ffn, dFf, nExperts, expertSize, topK,
                layerNormEps, dropout, expertDropout, gamma, w2InitFromExpertSize, options);
    }

    public ModelConfig withOptions(FfnOptions o) {
        return new ModelConfig(vocabSize, dModel, nLayers, nHeads, headDim, ffn, dFf, nExperts, expertSize, topK,
                layerNormEps, dropout, expertDropout, entropyReg, w2InitFromExpertSize, o);
    }

    /** Every violated constraint, each as a sentence naming the key and the fix; empty when valid. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (vocabSize < 2) p.add("vocab_size must be >= 2 (got " + vocabSize + ")");
        if (dModel < 1) p.add("d_model must be >= 1 (got " + dModel + ")");
        if (nLayers < 1) p.add("n_layers must be >= 1 (got " + nLayers + ")");
        if (nHeads < 1) p.add("n_heads must be >= 1 (got " + nHeads + ")");
        if (headDim < 1) p.add("head_dim must be >= 1 (got " + headDim + ")");
        if (!(layerNormEps > 0)) p.add("layer_norm_eps must be > 0 (got " + layerNormEps + ")");
        if (!(dropout >= 0 && dropout < 1)) p.add("dropout must be in [0, 1) (got " + dropout + ")");
        p.addAll(options.problems(ffn, dFf, dModel));
        if (!ffn.moe) {
            if (dFf < 1) p.add("d_ff must be >= 1 for a dense FFN (got " + dFf + ")");
        } else {
            if (nExperts < 1) p.add("n_experts must be >= 1 (got " + nExperts + ")");
            if (expertSize < 1) p.add("expert_size must be >= 1 (got " + expertSize + ")");
            if (topK < 1 || topK > nExperts)
                p.add("top_k must be in [1, n_experts=" + nExperts + "] (got " + topK + ")");
            if (dFf != nExperts * expertSize)
                p.add("d_ff must equal n_experts * expert_size = " + (nExperts * expertSize) + " for " + ffn.id + " (got " + dFf + ")");
            if (!(expertDropout >= 0 && expertDropout < 1))
                p.add("expert_dropout must be in [0, 1) (got " + expertDropout + ")");
            if (!(entropyReg >= 0)) p.add("entropy_reg must be >= 0 (got " + entropyReg + ")");
        }
        return p;
    }

    public ModelConfig validate() {
        List<String> p = problems();
        if (!p.isEmpty()) throw new IllegalArgumentException("invalid model configuration: " + String.join("; ", p));
        return this;
    }
}
