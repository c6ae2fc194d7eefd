package sigmoe.data;

import java.io.Serializable;

import org.apache.hadoop.fs.Path;

/**
 * What the encode pass produced for one input chunk: per split (train/valid/test) the number of ids written to
 * its piece file {@link #piece} and how many of them are {@code <unk>}; or the first data error.
 */
record ChunkOutput(int chunk, long[] tokens, long[] unk, InputError error) implements Serializable {
    /** The piece file holding the ids of one split from one chunk (raw little-endian payload). */
    static Path piece(Path piecesDir, int split, int chunk) {
        return new Path(piecesDir, String.format("%s-%06d.part", InputPlan.SPLITS[split], chunk));
    }
}
