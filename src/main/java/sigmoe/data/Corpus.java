package sigmoe.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A prepared corpus (formats.md §1) opened for reading from any Hadoop FileSystem URI: its manifest, its
 * vocabulary (for detokenization) and its splits as {@link TokenStream}s.
 *
 * <pre>
 *   Corpus c = Corpus.open("runs/quickstart/corpus");
 *   TokenStream train = c.split("train");   // CRC-checked
 *   String text = c.vocabulary().decode(ids, 0, n);
 * </pre>
 */
public final class Corpus {
    /** Larger manifests or vocabularies are corrupt, not data: refuse them before allocating. */
    static final long MAX_MANIFEST_BYTES = 64L << 20, MAX_VOCAB_BYTES = 1L << 30;

    private final Path dir;
    private final FileSystem fs;
    private final Manifest manifest;
    private final Vocabulary vocabulary;

    private Corpus(Path dir, FileSystem fs, Manifest manifest, Vocabulary vocabulary) {
        this.dir = dir;
        this.fs = fs;
        this.manifest = manifest;
        this.vocabulary = vocabulary;
    }

    /** Opens a corpus with the default Hadoop configuration (core-site.xml on the classpath, if any). */
    public static Corpus open(String uri) throws IOException {
        return open(uri, new Configuration());
    }

    /** Opens a corpus: reads and checks manifest.json and vocab.txt; shards are opened by {@link #split}. */
    public static Corpus open(String uri, Configuration conf) throws IOException {
        Path dir = HadoopFs.qualify(uri, conf);
        FileSystem fs = HadoopFs.of(dir, conf);
        Path mf = new Path(dir, Manifest.FILE);
        if (!fs.exists(mf)) {
            String why = fs.exists(dir) ? "it has no " + Manifest.FILE : "it does not exist";
            throw new CorpusFormatException(dir + ": not a prepared corpus: " + why
                    + " (create one with: data-prep/prepare.sh --output " + uri + " ...)");
        }
        Manifest m = Manifest.parse(HadoopFs.readSmall(fs, mf, MAX_MANIFEST_BYTES), mf.toString());
        Path vf = new Path(dir, Vocabulary.FILE);
        if (!fs.exists(vf)) throw new CorpusFormatException(vf + ": missing (every prepared corpus has a vocabulary)");
        byte[] vocabFile = HadoopFs.readSmall(fs, vf, MAX_VOCAB_BYTES);
        Vocabulary v = m.tokenizerKind().equals("bpe") ? Vocabulary.parsePieces(vocabFile, vf.toString())
                : Vocabulary.parse(vocabFile, m.tokenizerKind().equals("byte"), vf.toString());
        if (v.size() != m.vocabSize()) {
            throw CorpusFormatException.mismatch(vf.toString(), "number of entries",
                    m.vocabSize() + " (manifest.json vocab_size)", v.size(), "vocabulary from another corpus?");
        }
        return new Corpus(dir, fs, m, v);
    }

    public String uri() {
        return dir.toString();
    }

    public Manifest manifest() {
        return manifest;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public int vocabSize() {
        return manifest.vocabSize();
    }

    /** "word", "byte" or "bpe". */
    public String tokenizerKind() {
        return manifest.tokenizerKind();
    }

    public List<String> splitNames() {
        return new ArrayList<>(manifest.splits().keySet());
    }

    /** A split's token stream with every shard fully verified (CRC-32 and id range). */
    public TokenStream split(String name) throws IOException {
        return split(name, true);
    }

    /**
     * A split's token stream. Headers, file lengths and manifest agreement are always checked; {@code verify}
     * adds a pass over the payload (CRC-32, ids below the vocabulary size).
     */
    public TokenStream split(String name, boolean verify) throws IOException {
        Manifest.Split s = manifest.splits().get(name);
        if (s == null) {
            throw new CorpusFormatException(dir + ": no split \"" + name + "\" in " + Manifest.FILE + " (it has: "
                    + String.join(", ", manifest.splits().keySet()) + ")");
        }
        if (s.tokens() == 0) {
            throw new CorpusFormatException(dir + ": split \"" + name + "\" is empty (0 tokens)");
        }
        List<Shard> shards = new ArrayList<>();
        for (Manifest.ShardEntry e : s.shards()) {
            shards.add(Shard.open(fs, new Path(dir, e.file()), e, manifest.vocabSize(), verify));
        }
        return new TokenStream(name, shards, manifest.vocabSize());
    }
}
