package sigmoe.data;

import java.io.Serializable;
import java.util.Map;
import java.util.function.IntConsumer;

/** A fitted {@link TextTokenizer}: maps lines to ids on the executors. Immutable and thread-safe. */
public interface TextEncoder extends Serializable {
    Vocabulary vocabulary();

    /**
     * Emits the ids of one line (without its line terminator), in order, to {@code out}.
     *
     * @return how many of the emitted ids are the unknown token (0 for tokenizers without one)
     */
    int encode(String line, IntConsumer out);

    /** Parameters recorded in manifest.json's "tokenizer" object next to "kind" (insertion order kept). */
    Map<String, Object> manifestParams();

    /** Further files of the fitted tokenizer written next to vocab.txt (name -> content), e.g. BPE merges. */
    default Map<String, byte[]> files() {
        return Map.of();
    }
}
