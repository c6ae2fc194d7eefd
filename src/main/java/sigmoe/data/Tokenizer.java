package sigmoe.data;

import java.io.Serializable;

/**
 * How raw input becomes token ids; one implementation per {@code --tokenizer} kind, created by
 * {@link Tokenizers}. Two families exist because they read input differently:
 * <ul>
 *   <li>{@link TextTokenizer} (word, bpe): UTF-8 lines; a single input is split by line index;</li>
 *   <li>{@link ByteTokenizer}: raw bytes; a single input is split by byte counts (enwik8).</li>
 * </ul>
 * Tokenizers are serialized to Spark executors.
 */
public interface Tokenizer extends Serializable {
    /** The name used on the command line and in manifest.json's tokenizer.kind. */
    String kind();
}
