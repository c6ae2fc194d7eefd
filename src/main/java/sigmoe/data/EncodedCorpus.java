package sigmoe.data;

import java.util.List;
import java.util.Map;

/**
 * The result of a tokenizer's passes over the input, before shard assembly: the vocabulary, the manifest's
 * tokenizer parameters, and per input chunk the pieces written.
 *
 * @param countsUnk whether {@code <unk>} counts are meaningful (word-level), for the manifest and statistics
 * @param files     further tokenizer files written next to vocab.txt (name -> content)
 */
record EncodedCorpus(Vocabulary vocabulary, Map<String, Object> tokenizerParams, List<ChunkOutput> outputs,
                     boolean countsUnk, Map<String, byte[]> files) {
    EncodedCorpus(Vocabulary vocabulary, Map<String, Object> tokenizerParams, List<ChunkOutput> outputs,
                  boolean countsUnk) {
        this(vocabulary, tokenizerParams, outputs, countsUnk, Map.of());
    }

    long tokens(int split) {
        long n = 0;
        for (ChunkOutput c : outputs) n += c.tokens()[split];
        return n;
    }

    long unk(int split) {
        long n = 0;
        for (ChunkOutput c : outputs) n += c.unk()[split];
        return n;
    }
}
