package sigmoe.model;

/**
 * Which feed-forward block every Transformer-XL layer uses; the name is the checkpoint's {@code ffn} value.
 * The MoE kinds share σ-MoE's tensors (keys, values, expert_sel) and differ in the selection rule (paper.md §2.3);
 * dense_topk has the dense tensors (paper.md §2.1); pkm has its own (sub-keys and values, paper.md §2.2).
 */
public enum FfnKind {
    DENSE("dense", false),
    SIGMA_MOE("sigma_moe", true),
    /** Top-K activation on the dense FFN (paper.md §2.1; key topk_activation). */
    DENSE_TOPK("dense_topk", false),
    /** Softmax before top-K, gate = probability ("softmax (before top-k)", "no renorm."; §2.3(a)). */
    MOE_SOFTMAX("moe_softmax", true),
    /** Top-K on logits, gate = softmax over the K ("softmax (after top-k)", "renorm."; §2.3(b)). */
    MOE_SOFTMAX_RENORM("moe_softmax_renorm", true),
    /** Switch Transformer: softmax, top-K (1), Switch load-balancing loss (§2.3(d)). */
    SWITCH("switch", true),
    /** S-BASE: Sinkhorn over each sequence's positions to choose, sigmoid gates (§2.3(e)). */
    S_BASE("s_base", true),
    /** Product-Key Memory, dense product-key path as the paper's runs (§2.2, pitfall 14; keys pkm_*). */
    PKM("pkm", false);

    public final String id;
    /** Whether the block is a mixture of experts with the σ-MoE tensors. */
    public final boolean moe;

    FfnKind(String id, boolean moe) {
        this.id = id;
        this.moe = moe;
    }

    public static FfnKind parse(String s) {
        for (FfnKind k : values()) if (k.id.equals(s)) return k;
        StringBuilder valid = new StringBuilder();
        for (FfnKind k : values()) valid.append(valid.length() == 0 ? "" : ", ").append(k.id);
        throw new IllegalArgumentException("unknown ffn '" + s + "'; valid values: " + valid);
    }
}
