package sigmoe.model;

/** Which feed-forward block every Transformer-XL layer uses; the name is the checkpoint's {@code ffn} value. */
public enum FfnKind {
    DENSE("dense"),
    SIGMA_MOE("sigma_moe");

    public final String id;

    FfnKind(String id) { this.id = id; }

    public static FfnKind parse(String s) {
        for (FfnKind k : values()) if (k.id.equals(s)) return k;
        StringBuilder valid = new StringBuilder();
        for (FfnKind k : values()) valid.append(valid.length() == 0 ? "" : ", ").append(k.id);
        throw new IllegalArgumentException("unknown ffn '" + s + "'; valid values: " + valid);
    }
}
