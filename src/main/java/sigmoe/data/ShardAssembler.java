package sigmoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * The last pass: cuts each split's stream (its pieces in chunk order) into shards of exactly
 * {@code shardTokens} ids (the last one shorter), one Spark task per shard. Shard boundaries depend only on
 * token positions, never on the chunking, which is what makes the output byte-identical for any partitioning.
 */
final class ShardAssembler {
    private ShardAssembler() {}

    /** A slice of a piece file: ids [first, first + count). */
    record Range(String piece, long first, long count) implements Serializable {}

    /** One shard to write: its file and the slices that make up its payload, in order. */
    record Task(String path, long tokens, List<Range> ranges) implements Serializable {}

    /** Writes every split's shards into {@code dir}; returns the manifest's split entries, train/valid/test. */
    static Map<String, Manifest.Split> run(JavaSparkContext jsc, Stages stages, SparkHadoopConf conf, EncodedCorpus enc,
                                           Path pieces, Path dir, long shardTokens) {
        List<Task> tasks = new ArrayList<>();
        int[] first = new int[4]; // tasks[first[s] .. first[s+1]) are split s's shards
        for (int s = 0; s < 3; s++) {
            first[s] = tasks.size();
            plan(tasks, enc, s, pieces, dir, shardTokens);
        }
        first[3] = tasks.size();
        int bpt = ShardHeader.bytesPerToken(enc.vocabulary().size());
        stages.begin("write shards");
        List<Manifest.ShardEntry> written = jsc.parallelize(tasks, tasks.size())
                .mapPartitions(new Write(conf, bpt, enc.vocabulary().size())).collect();
        Map<String, Manifest.Split> splits = new LinkedHashMap<>();
        for (int s = 0; s < 3; s++) {
            List<Manifest.ShardEntry> shards = new ArrayList<>(written.subList(first[s], first[s + 1]));
            splits.put(InputPlan.SPLITS[s], new Manifest.Split(enc.tokens(s), shards, enc.countsUnk() ? enc.unk(s) : -1));
        }
        return splits;
    }

    private static void plan(List<Task> tasks, EncodedCorpus enc, int split, Path pieces, Path dir, long shardTokens) {
        List<Range> all = new ArrayList<>(); // the split's pieces in stream order
        for (ChunkOutput c : enc.outputs()) {
            long n = c.tokens()[split];
            if (n > 0) all.add(new Range(ChunkOutput.piece(pieces, split, c.chunk()).toString(), 0, n));
        }
        int p = 0;
        long used = 0; // ids of all.get(p) already given to earlier shards
        long total = enc.tokens(split);
        for (int k = 0; (long) k * shardTokens < total; k++) {
            long want = Math.min(shardTokens, total - (long) k * shardTokens);
            List<Range> ranges = new ArrayList<>();
            for (long need = want; need > 0; ) {
                Range r = all.get(p);
                long take = Math.min(need, r.count() - used);
                ranges.add(new Range(r.piece(), used, take));
                used += take;
                need -= take;
                if (used == r.count()) {
                    p++;
                    used = 0;
                }
            }
            String name = String.format("%s-%05d.bin", InputPlan.SPLITS[split], k);
            tasks.add(new Task(new Path(dir, name).toString(), want, ranges));
        }
    }

    /** Writes shards: the payload is read twice, once for the header's CRC-32 and once to copy it. */
    static final class Write implements FlatMapFunction<Iterator<Task>, Manifest.ShardEntry> {
        private static final long serialVersionUID = 1L;
        private final SparkHadoopConf conf;
        private final int bytesPerToken;
        private final int vocabSize;

        Write(SparkHadoopConf conf, int bytesPerToken, int vocabSize) {
            this.conf = conf;
            this.bytesPerToken = bytesPerToken;
            this.vocabSize = vocabSize;
        }

        @Override
        public Iterator<Manifest.ShardEntry> call(Iterator<Task> it) throws IOException {
            List<Manifest.ShardEntry> out = new ArrayList<>();
            byte[] buf = new byte[1 << 16];
            while (it.hasNext()) {
                Task t = it.next();
                Path path = new Path(t.path());
                FileSystem fs = HadoopFs.of(path, conf.get());
                CRC32 crc = new CRC32();
                copy(fs, t, buf, null, crc);
                ShardHeader h = new ShardHeader(bytesPerToken, t.tokens(), vocabSize, crc.getValue());
                try (OutputStream os = fs.create(path, false)) {
                    os.write(h.encode());
                    copy(fs, t, buf, os, null);
                }
                out.add(new Manifest.ShardEntry(path.getName(), t.tokens(), crc.getValue()));
            }
            return out.iterator();
        }

        private void copy(FileSystem fs, Task t, byte[] buf, OutputStream os, CRC32 crc) throws IOException {
            for (Range r : t.ranges()) {
                try (FSDataInputStream in = fs.open(new Path(r.piece()))) {
                    in.seek(r.first() * bytesPerToken);
                    for (long left = r.count() * bytesPerToken; left > 0; ) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) throw new IOException(r.piece() + ": shorter than its recorded token count");
                        if (crc != null) crc.update(buf, 0, n);
                        if (os != null) os.write(buf, 0, n);
                        left -= n;
                    }
                }
            }
        }
    }
}
