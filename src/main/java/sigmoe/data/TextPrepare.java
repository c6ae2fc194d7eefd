package sigmoe.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * The passes of a {@link TextTokenizer} over the input, one Spark job each, every chunk a task:
 * <ol>
 *   <li>(one input split by line ratios only) count the lines of each chunk, giving each line its global index;</li>
 *   <li>count the units of the train lines (executors), merge the counts (tree-reduce), fit the vocabulary
 *       (driver);</li>
 *   <li>encode every line with the broadcast encoder (executors), writing one piece file per chunk and split.</li>
 * </ol>
 * Invalid UTF-8 is an error naming the file and line: a word vocabulary silently built over replacement
 * characters would hide a wrongly encoded input.
 */
final class TextPrepare {
    private TextPrepare() {}

    static EncodedCorpus run(JavaSparkContext jsc, Stages stages, SparkHadoopConf conf, TextTokenizer tok,
                             PrepareOptions o, InputPlan plan, Path pieces) {
        List<InputChunk> chunks = plan.chunks;
        long trainEnd = Long.MAX_VALUE, validEnd = Long.MAX_VALUE;
        if (plan.byLineIndex) {
            stages.begin("count lines");
            List<long[]> counts = new ArrayList<>(jsc.parallelize(chunks, chunks.size())
                    .mapPartitions(new LineCount(conf)).collect());
            counts.sort(Comparator.comparingLong(c -> c[0]));
            List<InputChunk> numbered = new ArrayList<>(chunks.size());
            long line = 0;
            for (int i = 0; i < chunks.size(); i++) {
                numbered.add(chunks.get(i).withFirstLine(line));
                line += counts.get(i)[1];
            }
            chunks = numbered;
            long[] b = InputPlan.lineBoundaries(line, o);
            trainEnd = b[0];
            validEnd = b[1];
        }
        List<InputChunk> train = new ArrayList<>();
        for (InputChunk c : chunks) if (plan.byLineIndex ? c.firstLine() < trainEnd : c.split() == 0) train.add(c);

        stages.begin("count train units (" + tok.kind() + ")");
        CountResult counted = jsc.parallelize(train, train.size())
                .mapPartitions(new Count(conf, tok, trainEnd)).treeReduce(CountResult::merge);
        if (counted.error != null) throw counted.error.toException(conf.get());
        TextEncoder encoder = tok.fit(counted.counts);

        stages.begin("encode (" + tok.kind() + ")");
        Broadcast<TextEncoder> enc = jsc.broadcast(encoder);
        int bpt = ShardHeader.bytesPerToken(encoder.vocabulary().size());
        List<ChunkOutput> out;
        try {
            out = new ArrayList<>(jsc.parallelize(chunks, chunks.size())
                    .mapPartitions(new Encode(conf, tok.kind(), enc, trainEnd, validEnd, pieces.toString(), bpt))
                    .collect());
        } finally {
            enc.destroy();
        }
        out.sort(Comparator.comparingInt(ChunkOutput::chunk));
        InputError err = null;
        for (ChunkOutput c : out) err = InputError.first(err, c.error());
        if (err != null) throw err.toException(conf.get());
        return new EncodedCorpus(encoder.vocabulary(), encoder.manifestParams(), out, true, encoder.files());
    }

    /** Merged train counts, or the first bad line. */
    static final class CountResult implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final UnitCounts counts = new UnitCounts();
        InputError error;

        CountResult merge(CountResult other) {
            counts.merge(other.counts);
            error = InputError.first(error, other.error);
            return this;
        }
    }

    private static LineReader open(SparkHadoopConf conf, InputChunk c) throws IOException {
        Path p = new Path(c.file());
        FileSystem fs = HadoopFs.of(p, conf.get());
        FSDataInputStream in = fs.open(p);
        return new LineReader(in, c.file(), c.start(), c.end());
    }

    private static InputError badUtf8(InputChunk c, LineReader r, String tokenizer) {
        return new InputError(c.index(), c.file(), r.lineStart(), "invalid UTF-8; the " + tokenizer
                + " tokenizer reads UTF-8 text (convert the input, e.g. with iconv, or use --tokenizer byte)");
    }

    /** Pass 1: {chunk index, number of lines the chunk owns}. */
    static final class LineCount implements FlatMapFunction<Iterator<InputChunk>, long[]> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;

        LineCount(SparkHadoopConf conf) {
            this.conf = conf;
        }

        @Override
        public Iterator<long[]> call(Iterator<InputChunk> it) throws IOException {
            List<long[]> out = new ArrayList<>();
            while (it.hasNext()) {
                InputChunk c = it.next();
                long n = 0;
                try (LineReader r = open(conf, c)) {
                    while (r.next()) n++;
                }
                out.add(new long[] {c.index(), n});
            }
            return out.iterator();
        }
    }

    /** Pass 2: unit counts over the train lines of the chunks (global line index below trainEnd). */
    static final class Count implements FlatMapFunction<Iterator<InputChunk>, CountResult> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;
        private final TextTokenizer tok;
        private final long trainEnd;

        Count(SparkHadoopConf conf, TextTokenizer tok, long trainEnd) {
            this.conf = conf;
            this.tok = tok;
            this.trainEnd = trainEnd;
        }

        @Override
        public Iterator<CountResult> call(Iterator<InputChunk> it) throws IOException {
            CountResult res = new CountResult();
            Utf8 utf8 = new Utf8();
            while (it.hasNext() && res.error == null) {
                InputChunk c = it.next();
                long g = c.firstLine();
                try (LineReader r = open(conf, c)) {
                    while ((c.split() >= 0 || g < trainEnd) && r.next()) {
                        String line = utf8.decode(r.bytes(), r.length());
                        if (line == null) {
                            res.error = badUtf8(c, r, tok.kind());
                            break;
                        }
                        tok.count(line, res.counts);
                        g++;
                    }
                }
            }
            return List.of(res).iterator();
        }
    }

    /** Pass 3: ids of every line, written to the chunk's piece file of the line's split. */
    static final class Encode implements FlatMapFunction<Iterator<InputChunk>, ChunkOutput> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;
        private final String kind;
        private final Broadcast<TextEncoder> encoder;
        private final long trainEnd, validEnd;
        private final String pieces;
        private final int bytesPerToken;

        Encode(SparkHadoopConf conf, String kind, Broadcast<TextEncoder> encoder, long trainEnd, long validEnd,
               String pieces, int bytesPerToken) {
            this.conf = conf;
            this.kind = kind;
            this.encoder = encoder;
            this.trainEnd = trainEnd;
            this.validEnd = validEnd;
            this.pieces = pieces;
            this.bytesPerToken = bytesPerToken;
        }

        @Override
        public Iterator<ChunkOutput> call(Iterator<InputChunk> it) throws IOException {
            TextEncoder enc = encoder.value();
            Utf8 utf8 = new Utf8();
            Path dir = new Path(pieces);
            FileSystem fs = HadoopFs.of(dir, conf.get());
            List<ChunkOutput> out = new ArrayList<>();
            while (it.hasNext()) {
                InputChunk c = it.next();
                long[] unk = new long[3];
                PieceWriter[] w = new PieceWriter[3];
                InputError error = null;
                long g = c.firstLine();
                try (LineReader r = open(conf, c)) {
                    while (r.next()) {
                        int s = c.split() >= 0 ? c.split() : g < trainEnd ? 0 : g < validEnd ? 1 : 2;
                        g++;
                        String line = utf8.decode(r.bytes(), r.length());
                        if (line == null) {
                            error = badUtf8(c, r, kind);
                            break;
                        }
                        if (w[s] == null) w[s] = new PieceWriter(fs, ChunkOutput.piece(dir, s, c.index()), bytesPerToken);
                        unk[s] += enc.encode(line, w[s]);
                    }
                } finally {
                    for (PieceWriter x : w) if (x != null) x.close();
                }
                long[] tokens = new long[3];
                for (int s = 0; s < 3; s++) tokens[s] = w[s] == null ? 0 : w[s].tokens();
                out.add(new ChunkOutput(c.index(), tokens, unk, error));
            }
            return out.iterator();
        }
    }
}
