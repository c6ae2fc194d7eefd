package sigmoe.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The knobs of the paper's FFN baselines and ablations (paper.md §2, Tab. 1/4/10), next to the σ-MoE keys of
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
 */
public record FfnOptions(int topkActivation, double scoreDropout, boolean regAsCode, double initScale,
                         boolean normSelInit, int sinkhornIters) {
    public static final FfnOptions DEFAULT = new FfnOptions(0, 0.0, false, 1.0, true, 3);

    /** Checkpoint / configuration keys, in this order. */
    public static final List<String> KEYS = List.of("topk_activation", "moe_score_dropout", "moe_reg_as_code",
            "moe_init_scale", "moe_norm_sel_init", "sinkhorn_iters");

    public boolean isDefault() { return equals(DEFAULT); }

    List<String> problems(FfnKind ffn, int dFf) {
        List<String> p = new ArrayList<>();
        if (ffn == FfnKind.DENSE_TOPK && (topkActivation < 1 || topkActivation > dFf))
            p.add("topk_activation must be in [1, d_ff=" + dFf + "] for dense_topk (got " + topkActivation + ")");
        if (!(scoreDropout >= 0 && scoreDropout < 1)) p.add("moe_score_dropout must be in [0, 1) (got " + scoreDropout + ")");
        if (!(initScale > 0)) p.add("moe_init_scale must be > 0 (got " + initScale + ")");
        if (sinkhornIters < 1) p.add("sinkhorn_iters must be >= 1 (got " + sinkhornIters + ")");
        return p;
    }
}
