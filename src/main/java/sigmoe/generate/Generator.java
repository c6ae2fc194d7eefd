package sigmoe.generate;

import java.util.Arrays;
import java.util.function.IntConsumer;
import sigmoe.model.TransformerXL;
import sigmoe.nn.Rng;

/**
 * Autoregressive sampling with Transformer-XL memory. The prompt goes through the model segment by segment (chunks
 * of at most {@code segment} tokens), then every sampled token is fed alone; each step attends to the memory, the
 * layer inputs of the last {@code memory} tokens, so the context stays bounded however long the text grows. The
 * model's memory is reset before and after.
 */
public final class Generator {
    private final TransformerXL model;
    private final int segment;
    private final int memory;

    /**
     * @param segment prompt chunk length (the training segment length T is the natural choice)
     * @param memory  tokens of memory every step sees (>= 0; the paper evaluates with 4·T)
     */
    public Generator(TransformerXL model, int segment, int memory) {
        if (segment < 1) throw new IllegalArgumentException("segment length must be >= 1, got " + segment);
        if (memory < 0) throw new IllegalArgumentException("memory length must be >= 0, got " + memory);
        this.model = model;
        this.segment = segment;
        this.memory = memory;
    }

    /**
     * Feeds {@code prompt} (at least one token) and samples {@code n} tokens; {@code onToken} (may be null) sees each
     * sampled id as soon as it is drawn. Deterministic given the rng's state. Starts and ends with an empty memory.
     */
    public int[] generate(int[] prompt, int n, Sampler sampler, Rng rng, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens; generation needs at least one");
        if (n < 0) throw new IllegalArgumentException("number of tokens must be >= 0, got " + n);
        int[] out = new int[n];
        reset();
        try {
            double[] scores = feed(prompt);
            for (int i = 0; i < n; i++) {
                int id = sampler.sample(scores, rng);
                out[i] = id;
                if (onToken != null) onToken.accept(id);
                if (i + 1 < n) scores = feed(new int[] {id});
            }
            return out;
        } finally {
            reset();
        }
    }

    /** Forgets the memory: the next {@link #feed} starts a new text. */
    public void reset() { model.resetMemory(); }

    /**
     * Appends tokens to the text seen so far: runs them through the model in chunks of at most {@code segment}, each
     * attending to the memory, and returns the log-probabilities of the token that follows the last one.
     */
    public double[] feed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("nothing to feed");
        double[] scores = null;
        for (int off = 0; off < tokens.length; off += segment) {
            int len = Math.min(segment, tokens.length - off);
            int[] in = Arrays.copyOfRange(tokens, off, off + len);
            int[] noTargets = new int[len];
            Arrays.fill(noTargets, -1); // nothing is scored
            model.forward(in, noTargets, 1, len, memory, false, null);
            // the scores are needed after the last chunk only
            if (off + len == tokens.length) scores = model.logProbs().getRow(len - 1).toDoubleVector();
        }
        return scores;
    }
}
