package sigmoe.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The knobs of the paper's FFN baselines and ablations (paper.md §2, Tab. 1/2/4/6/10), next to the σ-MoE keys of
 * {@link ModelConfig}. {@link #DEFAULT} is plain σ-MoE / dense behaviour, and a checkpoint without these keys reads
 * as DEFAULT.
 *
 * @param topkActivation K of {@code ffn = dense_topk}: ReLU units kept per token (0 = unset)
 * @param scoreDropout   "standard dropout" ablation: dropout p on s·ReLU(x W1) inside the MoE (the paper: the model's
 *                       dropout, 0.1 / 0.2); 0 = off
 * @param regAsCode      the official code's regulariser where it differs from the paper: moe_softmax_renorm takes the
 *                       entropy over the K slots instead of the N_E experts; switch scales f·p by 1/N_E instead of N_E
 * @param initScale      every MoE weight std × √initScale ([M] moe.init_scale; 0.1 for the Switch baselines)
 * @param normSelInit    W3 rows renormalised at init ([M] moe.norm_expert_sel_init; false for Switch)
 * @param sinkhornIters  Sinkhorn rounds of s_base (3 in [M])
 * @param pkmKeys        n_keys of {@code ffn = pkm}: sub-keys per half, n_keys² values (0 = unset; d_ff = n_keys²)
 * @param pkmHeads       PKM heads, summed before the activation ([M] pkm.n_heads = 4)
 * @param pkmActivation  {@code relu} (the paper's proposal) or {@code softmax} (original PKM, over all n_keys² scores)
 * @param pkmValueInit   {@code pkm}: value std d^-0.5·√(2/L) ([M] custom_init 0); {@code dense}: "PKM + init",
 *                       std (n_keys²)^-0.5·√(2/L) like the dense W2 ([M] custom_init 5)
 */
public record FfnOptions(int topkActivation, double scoreDropout, boolean regAsCode, double initScale,
                         boolean normSelInit, int sinkhornIters, int pkmKeys, int pkmHeads, String pkmActivation,
                         String pkmValueInit) {
    public static final List<String> PKM_ACTIVATIONS = List.of("relu", "softmax");
    public static final List<String> PKM_VALUE_INITS = List.of("pkm", "dense");
    public static final FfnOptions DEFAULT = new FfnOptions(0, 0.0, false, 1.0, true, 3, 0, 4, "relu", "pkm");

    /** Checkpoint / configuration keys, in this order. */
    public static final List<String> KEYS = List.of("topk_activation", "moe_score_dropout", "moe_reg_as_code",
            "moe_init_scale", "moe_norm_sel_init", "sinkhorn_iters", "pkm_keys", "pkm_heads", "pkm_activation",
            "pkm_value_init");

    /** The baselines' knobs with the PKM ones at their defaults. */
    public FfnOptions(int topkActivation, double scoreDropout, boolean regAsCode, double initScale, boolean normSelInit,
                      int sinkhornIters) {
        this(topkActivation, scoreDropout, regAsCode, initScale, normSelInit, sinkhornIters, DEFAULT.pkmKeys,
                DEFAULT.pkmHeads, DEFAULT.pkmActivation, DEFAULT.pkmValueInit);
    }

    /** These options with the PKM knobs replaced. */
    public FfnOptions withPkm(int keys, int heads, String activation, String valueInit) {
        return new FfnOptions(topkActivation, scoreDropout, regAsCode, initScale, normSelInit, sinkhornIters, keys,
                heads, activation, valueInit);
    }

    public boolean isDefault() { return equals(DEFAULT); }

    /** Whether {@code ffn = pkm} uses softmax over the n_keys² scores (else ReLU). */
    public boolean pkmSoftmax() { return "softmax".equals(pkmActivation); }

    /** Whether the PKM values take the dense W2's std ("PKM + init"). */
    public boolean pkmValueInitDense() { return "dense".equals(pkmValueInit); }

    List<String> problems(FfnKind ffn, int dFf, int dModel) {
        List<String> p = new ArrayList<>();
        if (ffn == FfnKind.DENSE_TOPK && (topkActivation < 1 || topkActivation > dFf))
            p.add("topk_activation must be in [1, d_ff=" + dFf + "] for dense_topk (got " + topkActivation + ")");
        if (!(scoreDropout >= 0 && scoreDropout < 1)) p.add("moe_score_dropout must be in [0, 1) (got " + scoreDropout + ")");
        if (!(initScale > 0)) p.add("moe_init_scale must be > 0 (got " + initScale + ")");
        if (sinkhornIters < 1) p.add("sinkhorn_iters must be >= 1 (got " + sinkhornIters + ")");
        if (pkmHeads < 1) p.add("pkm_heads must be >= 1 (got " + pkmHeads + ")");
        if (pkmActivation == null || !PKM_ACTIVATIONS.contains(pkmActivation))
            p.add("pkm_activation must be one of " + PKM_ACTIVATIONS + " (got " + pkmActivation + ")");
        if (pkmValueInit == null || !PKM_VALUE_INITS.contains(pkmValueInit))
            p.add("pkm_value_init must be one of " + PKM_VALUE_INITS + " (got " + pkmValueInit + ")");
        if (ffn == FfnKind.PKM) {
            if (pkmKeys < 1 || pkmKeys > 46340) p.add("pkm_keys must be in [1, 46340] for pkm (got " + pkmKeys + ")");
            else if (dFf != pkmKeys * pkmKeys)
                p.add("d_ff must equal pkm_keys² = " + (pkmKeys * pkmKeys) + " (the number of values) for pkm (got " + dFf + ")");
            if (dModel % 2 != 0) p.add("d_model must be even for pkm, whose input splits in two halves (got " + dModel + ")");
        }
        return p;
    }
}
