package sigmoe.data;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Spark job {@code prepare}: raw text (any Hadoop FileSystem URI) to a prepared corpus (formats.md §1).
 * Tokenizing, counting and id mapping run on the executors; the driver plans the chunks, merges counts, fits
 * the vocabulary and writes vocab.txt and manifest.json. The corpus is written under a temporary name and
 * renamed when complete; on any failure nothing is left at the output path.
 *
 * <p>Determinism: chunks are an implementation detail; lines and bytes are assigned to splits by their position
 * in the input, shards are cut at multiples of the shard size, and the vocabulary order is total. The output is
 * byte-identical for any master and any partitioning.
 */
public final class PrepareJob {
    private PrepareJob() {}

    public static PrepareResult run(JavaSparkContext jsc, PrepareOptions o) throws IOException {
        o.validate();
        long t0 = System.nanoTime();
        Configuration conf = jsc.hadoopConfiguration();
        Tokenizer tok = Tokenizers.create(o.tokenizer, o.tokenizerOptions());
        InputPlan plan = tok instanceof ByteTokenizer
                ? InputPlan.bytes(o, conf, jsc.defaultParallelism())
                : InputPlan.text(o, conf, jsc.defaultParallelism());
        OutputDir out = OutputDir.create(o.output, conf, Manifest.FILE, o.overwrite);
        Stages stages = new Stages(jsc);
        try {
            SparkHadoopConf sconf = new SparkHadoopConf(jsc);
            Path pieces = new Path(out.tmp(), "_pieces");
            EncodedCorpus enc;
            if (tok instanceof TextTokenizer t) enc = TextPrepare.run(jsc, stages, sconf, t, o, plan, pieces);
            else enc = BytePrepare.run(jsc, stages, sconf, (ByteTokenizer) tok, plan, pieces);
            for (int s = 0; s < 3; s++) {
                if (enc.tokens(s) == 0) throw PrepareException.data("the " + InputPlan.SPLITS[s] + " split is empty");
            }
            Map<String, Manifest.Split> splits = ShardAssembler.run(jsc, stages, sconf, enc, pieces, out.tmp(), o.shardTokens);
            stages.begin("manifest and commit");
            out.fs().delete(pieces, true);
            Manifest m = new Manifest(tok.kind(), enc.tokenizerParams(), enc.vocabulary().size(), splits);
            for (Map.Entry<String, byte[]> f : new java.util.TreeMap<>(enc.files()).entrySet()) {
                write(out, f.getKey(), f.getValue());
            }
            write(out, Vocabulary.FILE, enc.vocabulary().toFileBytes());
            write(out, Manifest.FILE, m.toJson()); // last: a directory with a manifest is complete
            out.commit();
            long[] tokens = new long[3], unk = enc.countsUnk() ? new long[3] : null;
            int[] shards = new int[3];
            for (int s = 0; s < 3; s++) {
                Manifest.Split sp = splits.get(InputPlan.SPLITS[s]);
                tokens[s] = sp.tokens();
                shards[s] = sp.shards().size();
                if (unk != null) unk[s] = sp.unkTokens();
            }
            return new PrepareResult(out.target().toString(), tok.kind(), m.vocabSize(), m.bytesPerToken(), tokens, unk,
                    shards, plan.totalBytes, (System.nanoTime() - t0) / 1e9);
        } catch (Throwable e) {
            out.abort();
            throw unwrap(e);
        } finally {
            stages.end();
        }
    }

    private static void write(OutputDir out, String name, byte[] content) throws IOException {
        try (OutputStream os = out.fs().create(new Path(out.tmp(), name), false)) {
            os.write(content);
        }
    }

    /**
     * Spark wraps executor failures in a SparkException whose message is a stack dump; the user-facing cause
     * (a PrepareException, or an IOException naming a file) is dug out of the chain.
     */
    private static RuntimeException unwrap(Throwable e) throws IOException {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof PrepareException p) throw p;
        }
        if (e instanceof org.apache.spark.SparkException) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof IOException io) throw new IOException(io.getMessage(), e);
            }
        }
        if (e instanceof IOException io) throw io;
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error err) throw err;
        throw new IOException(e);
    }
}
