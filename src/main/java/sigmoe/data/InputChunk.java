package sigmoe.data;

import java.io.Serializable;

/**
 * A byte range of one input file, the unit of work of the prepare job's passes (one chunk per Spark partition).
 * Chunks are numbered in stream order: concatenating them in index order gives the inputs in order.
 * A text chunk owns the lines that <em>start</em> inside its range (the last one may run past {@code end});
 * a byte chunk owns exactly its bytes.
 *
 * @param split     0/1/2 = train/valid/test when the whole chunk belongs to one split; -1 when its lines are
 *                  assigned by global line index (one input split by line ratios)
 * @param firstLine global index of the chunk's first line (line-ratio splits, after the line-count pass), else -1
 */
public record InputChunk(int index, String file, long start, long end, int split, long firstLine)
        implements Serializable {
    public InputChunk withFirstLine(long line) {
        return new InputChunk(index, file, start, end, split, line);
    }

    public long length() {
        return end - start;
    }
}
