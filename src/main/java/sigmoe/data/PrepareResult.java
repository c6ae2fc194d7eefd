package sigmoe.data;

import java.util.Locale;

/**
 * Statistics of a finished prepare run, as the {@code prepare} command prints them.
 *
 * @param tokens per split (train, valid, test)
 * @param unk    per split the number of {@code <unk>} ids, or null for tokenizers without one
 * @param shards per split the number of shard files
 */
public record PrepareResult(String output, String tokenizer, int vocabSize, int bytesPerToken, long[] tokens,
                            long[] unk, int[] shards, long inputBytes, double seconds) {

    /** Input bytes per second over the whole job (Spark start-up excluded). */
    public double bytesPerSecond() {
        return seconds > 0 ? inputBytes / seconds : 0;
    }

    /** The statistics table printed at the end of {@code prepare}. */
    public String report() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "tokenizer %s, vocabulary %,d (uint%d ids)%n", tokenizer, vocabSize,
                bytesPerToken * 8));
        s.append(String.format(Locale.ROOT, "%-6s %14s %7s%s%n", "split", "tokens", "shards",
                unk != null ? String.format(Locale.ROOT, " %12s %9s", "unk", "OOV rate") : ""));
        for (int i = 0; i < 3; i++) {
            s.append(String.format(Locale.ROOT, "%-6s %,14d %7d", InputPlan.SPLITS[i], tokens[i], shards[i]));
            if (unk != null) {
                s.append(String.format(Locale.ROOT, " %,12d %8.3f%%", unk[i], tokens[i] == 0 ? 0 : 100.0 * unk[i] / tokens[i]));
            }
            s.append('\n');
        }
        s.append(String.format(Locale.ROOT, "input %,d bytes in %.2f s: %.2f MB/s%n", inputBytes, seconds,
                bytesPerSecond() / 1e6));
        s.append("output ").append(output).append('\n');
        return s.toString();
    }
}
