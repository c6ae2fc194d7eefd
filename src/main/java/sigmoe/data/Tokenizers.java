package sigmoe.data;

import java.util.List;

import sigmoe.data.bpe.BpeTokenizer;

/** The registry of tokenizer kinds the prepare job accepts ({@code --tokenizer}). */
public final class Tokenizers {
    private Tokenizers() {}

    /** Kinds accepted on the command line, in the order usage messages list them. */
    public static final List<String> KINDS = List.of(WordTokenizer.KIND, ByteTokenizer.KIND, BpeTokenizer.KIND);

    /**
     * Options that apply to some kinds only.
     *
     * @param minCount word: minimum train count to enter the vocabulary
     * @param maxVocab word: vocabulary size limit including the specials, 0 = none
     * @param vocabSize bpe: vocabulary size to learn, the 256 byte tokens included
     */
    public record Options(int minCount, int maxVocab, int vocabSize) {
        public static final Options DEFAULT = new Options(1, 0, BpeTokenizer.DEFAULT_VOCAB_SIZE);

        public Options(int minCount, int maxVocab) {
            this(minCount, maxVocab, BpeTokenizer.DEFAULT_VOCAB_SIZE);
        }
    }

    /** The tokenizer of a kind; an unknown kind is an IllegalArgumentException naming the known ones. */
    public static Tokenizer create(String kind, Options o) {
        return switch (kind) {
            case WordTokenizer.KIND -> new WordTokenizer(o.minCount(), o.maxVocab());
            case ByteTokenizer.KIND -> new ByteTokenizer();
            case BpeTokenizer.KIND -> new BpeTokenizer(o.vocabSize());
            default -> throw new IllegalArgumentException("unknown tokenizer \"" + kind + "\"; known: "
                    + String.join(", ", KINDS));
        };
    }
}
