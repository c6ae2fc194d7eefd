package sigmoe.data.bpe;

import sigmoe.data.TextEncoder;
import sigmoe.data.TextTokenizer;
import sigmoe.data.UnitCounts;

/**
 * {@code --tokenizer bpe}: byte-level BPE with SentencePiece-style pre-tokenization, the paper's WikiText-103
 * tokenization (SentencePiece BPE, 8000 pieces, {@code split_digits}, trained on train, each line encoded
 * separately, no BOS/EOS), made exactly invertible:
 * <ul>
 *   <li>executors count the pre-tokens of the train lines ({@link PreTokenizer}); the prepare job merges the
 *       counts with a tree-reduce;</li>
 *   <li>the driver learns the merges from the count table ({@link BpeTrainer});</li>
 *   <li>executors encode every line of every split ({@link BpeEncoder}), then emit the '\n' byte (id 10): the
 *       paper's setup drops line breaks, we keep them as a token so that decoding gives back the text.</li>
 * </ul>
 */
public final class BpeTokenizer implements TextTokenizer {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "bpe";
    /** The paper's vocabulary size (SentencePiece {@code n_pieces}). */
    public static final int DEFAULT_VOCAB_SIZE = 8000;

    private final int vocabSize;

    /** @param vocabSize the vocabulary size to learn, the 256 byte tokens included (>= 256) */
    public BpeTokenizer(int vocabSize) {
        if (vocabSize < BpeModel.BYTES) {
            throw new IllegalArgumentException("vocab size must be >= 256 (the byte tokens), got " + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void count(String line, UnitCounts counts) {
        PreTokenizer.split(line, counts::add);
    }

    @Override
    public TextEncoder fit(UnitCounts trainCounts) {
        return new BpeEncoder(BpeTrainer.train(trainCounts, vocabSize), vocabSize);
    }
}
