package sigmoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * The passes of the {@link ByteTokenizer}, one Spark job each, every chunk a task:
 * <ol>
 *   <li>byte histograms per split (executors), summed by a reduce; the driver takes the train split's distinct
 *       bytes as the vocabulary and refuses valid/test bytes that train lacks, before anything is written;</li>
 *   <li>encode: each byte through the id table, written to the chunk's piece file.</li>
 * </ol>
 */
final class BytePrepare {
    private BytePrepare() {}

    static EncodedCorpus run(JavaSparkContext jsc, Stages stages, SparkHadoopConf conf, ByteTokenizer tok,
                             InputPlan plan, Path pieces) {
        List<InputChunk> chunks = plan.chunks;
        stages.begin("byte histograms");
        long[] hist = jsc.parallelize(chunks, chunks.size()).mapPartitions(new Histogram(conf)).reduce(BytePrepare::add);
        long[] train = java.util.Arrays.copyOfRange(hist, 0, 256);
        Vocabulary vocab = tok.fit(train);
        for (int s = 1; s < 3; s++) {
            StringBuilder missing = new StringBuilder();
            int count = 0;
            for (int b = 0; b < 256; b++) {
                long n = hist[s * 256 + b];
                if (n > 0 && train[b] == 0 && count++ < 16) {
                    missing.append(String.format("%s%d (0x%02x) x%d", count > 1 ? ", " : "", b, b, n));
                }
            }
            if (count > 0) {
                throw PrepareException.data("the " + InputPlan.SPLITS[s] + " split has " + count + " byte value(s) "
                        + "that never occur in train and so have no id (the byte vocabulary is the set of train "
                        + "bytes): byte " + missing + (count > 16 ? ", ..." : "")
                        + "; choose a split whose train part covers every byte value");
            }
        }
        stages.begin("encode (byte)");
        int[] table = ByteTokenizer.idTable(vocab);
        int bpt = ShardHeader.bytesPerToken(vocab.size());
        List<ChunkOutput> out = new ArrayList<>(jsc.parallelize(chunks, chunks.size())
                .mapPartitions(new Encode(conf, table, pieces.toString(), bpt)).collect());
        out.sort(Comparator.comparingInt(ChunkOutput::chunk));
        return new EncodedCorpus(vocab, java.util.Map.of(), out, false);
    }

    private static long[] add(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) a[i] += b[i];
        return a;
    }

    private static InputStream open(SparkHadoopConf conf, InputChunk c) throws IOException {
        Path p = new Path(c.file());
        FileSystem fs = HadoopFs.of(p, conf.get());
        FSDataInputStream in = fs.open(p);
        in.seek(c.start());
        return in;
    }

    /** Pass 1: one histogram per partition, 3 x 256 counts (train, valid, test). */
    static final class Histogram implements FlatMapFunction<Iterator<InputChunk>, long[]> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;

        Histogram(SparkHadoopConf conf) {
            this.conf = conf;
        }

        @Override
        public Iterator<long[]> call(Iterator<InputChunk> it) throws IOException {
            long[] h = new long[3 * 256];
            byte[] buf = new byte[1 << 16];
            while (it.hasNext()) {
                InputChunk c = it.next();
                int base = c.split() * 256;
                try (InputStream in = open(conf, c)) {
                    for (long left = c.length(); left > 0; ) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) throw new IOException(c.file() + ": ended before byte " + c.end() + " (file changed?)");
                        for (int i = 0; i < n; i++) h[base + (buf[i] & 0xff)]++;
                        left -= n;
                    }
                }
            }
            return List.of(h).iterator();
        }
    }

    /** Pass 2: the ids of the chunk's bytes, written to its piece file. */
    static final class Encode implements FlatMapFunction<Iterator<InputChunk>, ChunkOutput> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;
        private final int[] table;
        private final String pieces;
        private final int bytesPerToken;

        Encode(SparkHadoopConf conf, int[] table, String pieces, int bytesPerToken) {
            this.conf = conf;
            this.table = table;
            this.pieces = pieces;
            this.bytesPerToken = bytesPerToken;
        }

        @Override
        public Iterator<ChunkOutput> call(Iterator<InputChunk> it) throws IOException {
            Path dir = new Path(pieces);
            FileSystem fs = HadoopFs.of(dir, conf.get());
            byte[] buf = new byte[1 << 16];
            List<ChunkOutput> out = new ArrayList<>();
            while (it.hasNext()) {
                InputChunk c = it.next();
                long[] tokens = new long[3];
                try (InputStream in = open(conf, c);
                     PieceWriter w = new PieceWriter(fs, ChunkOutput.piece(dir, c.split(), c.index()), bytesPerToken)) {
                    for (long left = c.length(); left > 0; ) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) throw new IOException(c.file() + ": ended before byte " + c.end() + " (file changed?)");
                        for (int i = 0; i < n; i++) {
                            int id = table[buf[i] & 0xff];
                            if (id < 0) throw new IllegalStateException("byte " + (buf[i] & 0xff) + " has no id");
                            w.accept(id);
                        }
                        left -= n;
                    }
                    tokens[c.split()] = w.tokens();
                }
                out.add(new ChunkOutput(c.index(), tokens, new long[3], null));
            }
            return out.iterator();
        }
    }
}
