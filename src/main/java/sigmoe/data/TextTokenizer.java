package sigmoe.data;

/**
 * A tokenizer of UTF-8 text lines. The prepare job drives it in two steps:
 * <ol>
 *   <li>on the executors, {@link #count} sees every line of the train split and counts the units the
 *       vocabulary is learned from (words for word-level; pre-tokens for BPE); the driver merges the counts;</li>
 *   <li>on the driver, {@link #fit} turns the merged counts into a {@link TextEncoder}, which is broadcast
 *       and maps every line of every split to ids on the executors.</li>
 * </ol>
 * {@link sigmoe.data.bpe.BpeTokenizer} is the second implementation; both are registered in {@link Tokenizers}.
 */
public interface TextTokenizer extends Tokenizer {
    /** Adds the units of one line (without its line terminator) of the train split to {@code counts}. */
    void count(String line, UnitCounts counts);

    /** Learns the vocabulary from the train split's merged counts. */
    TextEncoder fit(UnitCounts trainCounts);
}
