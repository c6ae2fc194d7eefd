package sigmoe.data;

import java.util.List;
import java.util.Map;

/**
 * The result of a tokenizer's passes over the input, before shard assembly: the vocabulary, the manifest's
 * tokenizer parameters, and per input chunk the pieces written.
 *
 * @param countsUnk whether {@code <unk>} counts are meaningful (word-level), for the manifest and statistics
 */
record EncodedCorpus(Vocabulary vocabulary, Map<String, Object> tokenizerParams, List<ChunkOutput> outputs,
                     boolean countsUnk) {
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
