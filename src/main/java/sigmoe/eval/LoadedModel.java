package sigmoe.eval;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.data.Corpus;
import sigmoe.model.Checkpoint;
import sigmoe.model.TransformerXL;

/**
 * A checkpoint (formats.md §2) turned into a ready model for inference: the Transformer-XL its config describes, in
 * FLOAT (the checkpoint's own precision), with the file's parameters loaded. Evaluation and generation share it.
 */
public final class LoadedModel {
    /** Checkpoint metadata key for the training segment length T, when the writer recorded it. */
    public static final String SEGMENT_KEY = "segment_length";
    /** T when neither the option nor the checkpoint gives one (the paper's WT-S segment, paper.md §6). */
    public static final int DEFAULT_SEGMENT = 256;

    public final Checkpoint checkpoint;
    public final TransformerXL model;

    private LoadedModel(Checkpoint checkpoint, TransformerXL model) {
        this.checkpoint = checkpoint;
        this.model = model;
    }

    public static LoadedModel load(String uri, Configuration conf) throws IOException {
        Checkpoint c = Checkpoint.load(uri, conf);
        TransformerXL m = new TransformerXL(c.config(), DataType.FLOAT);
        c.loadInto(m.params);
        m.resetMemory();
        return new LoadedModel(c, m);
    }

    /**
     * The segment length to use: {@code option} when given (> 0), else the checkpoint's {@value #SEGMENT_KEY}
     * metadata, else {@value #DEFAULT_SEGMENT}.
     */
    public int segmentLength(int option) {
        if (option > 0) return option;
        String v = checkpoint.metadata().get(SEGMENT_KEY);
        if (v == null) return DEFAULT_SEGMENT;
        try {
            int t = Integer.parseInt(v.trim());
            if (t > 0) return t;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(checkpoint.file() + ": __metadata__." + SEGMENT_KEY
                + " is \"" + v + "\", not a positive integer; give the segment length explicitly with --segment");
    }

    /**
     * Why the corpus cannot be used with this model (its token ids would index another vocabulary), or null when it
     * can: the checkpoint's vocab_size must equal the corpus's vocabulary size.
     */
    public String vocabularyProblem(Corpus corpus) {
        int model = checkpoint.config().vocabSize(), data = corpus.vocabSize();
        if (model == data) return null;
        return "the checkpoint " + checkpoint.file() + " has vocab_size " + model + " but the corpus " + corpus.uri()
                + " has a " + corpus.tokenizerKind() + " vocabulary of " + data + " tokens: the model was trained on a"
                + " different corpus (or tokenizer settings); give --data the prepared corpus the model was trained on";
    }
}
