package sigmoe.data;

import java.util.Arrays;

/**
 * What the prepare job is asked to do (the {@code prepare} command's options). Fluent setters; {@link #validate()}
 * checks the combination and throws {@link PrepareException#usage} naming the offending option.
 */
public final class PrepareOptions {
    public static final long DEFAULT_SHARD_TOKENS = 100_000_000L;
    static final double[] DEFAULT_RATIOS = {0.9, 0.05, 0.05};

    String tokenizer;
    String output;
    String input;
    String train, valid, test;
    double[] splitRatios;
    long[] splitBytes;
    Integer minCount, maxVocab, vocabSize;
    long shardTokens = DEFAULT_SHARD_TOKENS;
    boolean overwrite;
    int partitions;

    public PrepareOptions tokenizer(String kind) { this.tokenizer = kind; return this; }
    public PrepareOptions output(String uri) { this.output = uri; return this; }
    /** One input, split by {@link #splitRatios} (lines for text tokenizers, bytes for byte) or {@link #splitBytes}. */
    public PrepareOptions input(String uri) { this.input = uri; return this; }
    /** Separate inputs per split. */
    public PrepareOptions splits(String trainUri, String validUri, String testUri) {
        this.train = trainUri; this.valid = validUri; this.test = testUri; return this;
    }
    public PrepareOptions splitRatios(double... r) { this.splitRatios = r; return this; }
    public PrepareOptions splitBytes(long... b) { this.splitBytes = b; return this; }
    public PrepareOptions minCount(Integer n) { this.minCount = n; return this; }
    public PrepareOptions maxVocab(Integer n) { this.maxVocab = n; return this; }
    /** bpe: vocabulary size to learn (256 byte tokens + merges); null = 8000, the paper's. */
    public PrepareOptions vocabSize(Integer n) { this.vocabSize = n; return this; }
    public PrepareOptions shardTokens(long n) { this.shardTokens = n; return this; }
    public PrepareOptions overwrite(boolean b) { this.overwrite = b; return this; }
    /** Number of input chunks (Spark partitions); 0 = automatic. The output does not depend on it. */
    public PrepareOptions partitions(int n) { this.partitions = n; return this; }

    public String output() { return output; }
    public boolean singleInput() { return input != null; }

    /** Split ratios in effect for a single input: the given ones or 90/5/5. */
    double[] ratios() {
        return splitRatios != null ? splitRatios : DEFAULT_RATIOS;
    }

    Tokenizers.Options tokenizerOptions() {
        return new Tokenizers.Options(minCount == null ? 1 : minCount, maxVocab == null ? 0 : maxVocab,
                vocabSize == null ? sigmoe.data.bpe.BpeTokenizer.DEFAULT_VOCAB_SIZE : vocabSize);
    }

    /** Checks the option combination; throws {@link PrepareException#usage} on the first problem. */
    public PrepareOptions validate() {
        if (tokenizer == null) throw usage("--tokenizer is required (one of: " + String.join(", ", Tokenizers.KINDS) + ")");
        if (!Tokenizers.KINDS.contains(tokenizer)) {
            throw usage("--tokenizer " + tokenizer + " is unknown; use one of: " + String.join(", ", Tokenizers.KINDS));
        }
        if (output == null || output.isBlank()) throw usage("--output is required");
        boolean anySplit = train != null || valid != null || test != null;
        if (input != null && anySplit) throw usage("give either --input or --train/--valid/--test, not both");
        if (input == null && !anySplit) throw usage("give the text: --input URI, or --train URI --valid URI --test URI");
        if (input == null && (train == null || valid == null || test == null)) {
            throw usage("--train, --valid and --test go together; missing: " + (train == null ? "--train " : "")
                    + (valid == null ? "--valid " : "") + (test == null ? "--test" : "").trim());
        }
        if (input == null && (splitRatios != null || splitBytes != null)) {
            throw usage("--split-ratios and --split-bytes apply to a single --input only");
        }
        if (splitRatios != null) {
            if (splitRatios.length != 3) throw usage("--split-ratios needs 3 numbers (train,valid,test), got " + splitRatios.length);
            for (double r : splitRatios) {
                if (!(r > 0) || Double.isInfinite(r)) {
                    throw usage("--split-ratios " + Arrays.toString(splitRatios) + ": each ratio must be a positive number");
                }
            }
        }
        if (splitBytes != null) {
            if (!tokenizer.equals(ByteTokenizer.KIND)) throw usage("--split-bytes applies to --tokenizer byte only; use --split-ratios");
            if (splitRatios != null) throw usage("give --split-ratios or --split-bytes, not both");
            if (splitBytes.length != 3) throw usage("--split-bytes needs 3 numbers (train,valid,test), got " + splitBytes.length);
            for (long b : splitBytes) if (b <= 0) throw usage("--split-bytes: each byte count must be positive, got " + b);
        }
        if (!tokenizer.equals(WordTokenizer.KIND) && (minCount != null || maxVocab != null)) {
            throw usage("--min-count and --max-vocab apply to --tokenizer word only");
        }
        if (minCount != null && minCount < 1) throw usage("--min-count must be >= 1, got " + minCount);
        if (vocabSize != null && !tokenizer.equals(sigmoe.data.bpe.BpeTokenizer.KIND)) {
            throw usage("--vocab-size applies to --tokenizer bpe only (word: --max-vocab)");
        }
        if (vocabSize != null && vocabSize < 256) {
            throw usage("--vocab-size must be >= 256 (it counts the 256 byte tokens), got " + vocabSize);
        }
        if (maxVocab != null && maxVocab < 2) throw usage("--max-vocab must be >= 2 (it counts <eos> and <unk>), got " + maxVocab);
        if (shardTokens < 1) throw usage("--shard-tokens must be >= 1, got " + shardTokens);
        if (partitions < 0) throw usage("--partitions must be >= 0, got " + partitions);
        return this;
    }

    private static PrepareException usage(String m) {
        return PrepareException.usage(m);
    }
}
