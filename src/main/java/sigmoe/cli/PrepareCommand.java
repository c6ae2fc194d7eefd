package sigmoe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.apache.spark.api.java.JavaSparkContext;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sigmoe.data.PrepareException;
import sigmoe.data.PrepareJob;
import sigmoe.data.PrepareOptions;
import sigmoe.data.PrepareResult;

/** {@code sigmoe prepare}: raw text to a prepared corpus (token shards, formats.md §1) with a Spark job. */
@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokenizes raw text into a prepared corpus: manifest.json, vocab.txt and "
                + "{train,valid,test}-NNNNN.bin shards. Inputs and output may be any Hadoop FileSystem URI "
                + "(file:, hdfs:, s3a:, plain paths); a directory or glob means its files in name order.",
                "word: whitespace words + <eos> per line, vocabulary from train (<eos>=0, <unk>=1, then by count). "
                + "byte: the bytes themselves, vocabulary = distinct train bytes (enwik8). "
                + "bpe: byte-level BPE learned on train (SentencePiece-style pre-tokens, split digits; "
                + "ids 0-255 = bytes, '\\n' ends each line; vocab.txt + bpe-merges.txt; exact decoding)."})
public final class PrepareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "KIND", description = "word, byte or bpe")
    String tokenizer;

    @Option(names = "--output", required = true, paramLabel = "URI", description = "corpus directory to create")
    String output;

    @Option(names = "--input", paramLabel = "URI", description = "one input, split by --split-ratios / --split-bytes")
    String input;

    @Option(names = "--train", paramLabel = "URI", description = "train split input (with --valid and --test)")
    String train;

    @Option(names = "--valid", paramLabel = "URI", description = "validation split input")
    String valid;

    @Option(names = "--test", paramLabel = "URI", description = "test split input")
    String test;

    @Option(names = "--split-ratios", split = ",", paramLabel = "R",
            description = "train,valid,test shares of one --input, by line (word) or byte (byte); default 0.9,0.05,0.05")
    double[] splitRatios;

    @Option(names = "--split-bytes", split = ",", paramLabel = "N",
            description = "byte: exact train,valid,test byte counts of one --input (enwik8: 90000000,5000000,5000000)")
    long[] splitBytes;

    @Option(names = "--min-count", paramLabel = "N", description = "word: fewer train occurrences become <unk> (default 1)")
    Integer minCount;

    @Option(names = "--max-vocab", paramLabel = "N", description = "word: vocabulary size limit, <eos> and <unk> included")
    Integer maxVocab;

    @Option(names = "--vocab-size", paramLabel = "N",
            description = "bpe: vocabulary size to learn, the 256 byte tokens included (default 8000, the paper's)")
    Integer vocabSize;

    @Option(names = "--shard-tokens", paramLabel = "N", defaultValue = "100000000",
            description = "most tokens per shard file (default ${DEFAULT-VALUE})")
    long shardTokens;

    @Option(names = "--overwrite", description = "replace an existing corpus at --output")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "M", description = "Spark master (default local[*], or spark-submit's)")
    String master;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
            description = "input chunks (Spark tasks); 0 = one per core or 64 MiB; the output does not depend on it")
    int partitions;

    @Override
    public Integer call() {
        PrepareOptions o = new PrepareOptions().tokenizer(tokenizer).output(output).minCount(minCount).maxVocab(maxVocab)
                .vocabSize(vocabSize)
                .shardTokens(shardTokens).overwrite(overwrite).partitions(partitions);
        if (input != null) o.input(input);
        if (train != null || valid != null || test != null) o.splits(train, valid, test);
        if (splitRatios != null) o.splitRatios(splitRatios);
        if (splitBytes != null) o.splitBytes(splitBytes);
        try {
            o.validate();
        } catch (PrepareException e) {
            throw new Main.UserError(e.getMessage(), true, e);
        }
        String m = SparkContexts.master(master);
        if (!SparkContexts.isValidMaster(m)) {
            throw new Main.UserError("--master " + m + ": not a Spark master URL (local[N], local[*], spark://HOST:PORT, "
                    + "yarn, k8s://..., local-cluster[W,C,MB])", true, null);
        }
        JavaSparkContext jsc;
        try {
            jsc = SparkContexts.start(m, "sigmoe prepare");
        } catch (Exception e) { // SparkException is checked in Scala's eyes only
            throw new Main.UserError("--master " + m + ": cannot start Spark: " + e.getMessage(), true, e);
        }
        try {
            PrepareResult r = PrepareJob.run(jsc, o);
            PrintWriter out = spec.commandLine().getOut();
            out.print(r.report());
            out.flush();
            return Main.EXIT_OK;
        } catch (PrepareException e) {
            throw new Main.UserError(e.getMessage(), e.isUsage(), e);
        } catch (IOException e) {
            throw new Main.UserError(e.getMessage(), false, e);
        } finally {
            jsc.stop();
        }
    }
}
