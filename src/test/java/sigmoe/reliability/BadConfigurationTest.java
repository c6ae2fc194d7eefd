package sigmoe.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.testutil.TestCorpora;

/**
 * Bad configurations and command lines through {@code sigmoe train}: each is a one-paragraph error without a stack
 * trace or exception class name that names the key (or option, or path), with exit code 2 for usage errors and 1
 * for I/O. None of them may start training: the run directory must not appear.
 */
class BadConfigurationTest {
    @TempDir static Path tmp;
    static Path corpus, conf, runDir, aFile;

    record Case(String name, int rc, List<String> args, List<String> fragments) {}

    static final List<Case> CASES = new ArrayList<>();

    /** {@code sigmoe train CONF args...}. */
    static void override(String name, int rc, String arg, String... fragments) {
        CASES.add(new Case(name, rc, List.of("train", "CONF", arg), List.of(fragments)));
    }

    static void cmd(String name, int rc, List<String> args, String... fragments) {
        CASES.add(new Case(name, rc, args, List.of(fragments)));
    }

    static {
        // unknown keys
        override("unknown model key", 2, "model.topk=2", "unknown key 'model.topk'", "model.top_k");
        override("unknown train key", 2, "train.stpes=5", "unknown key 'train.stpes'", "train.steps");
        override("unknown section", 2, "optimizer.lr=1", "unknown key 'optimizer'");
        override("key of the other section", 2, "model.steps=5", "model.steps", "train.steps");
        // wrong types
        override("steps not a number", 2, "train.steps=many", "train.steps", "'many'", "whole number");
        override("lr not a number", 2, "train.lr=fast", "train.lr", "a number");
        override("d_model fractional", 2, "model.d_model=32.5", "model.d_model", "whole number");
        override("resume not boolean", 2, "train.resume=maybe", "train.resume", "true or false");
        override("n_layers a list", 2, "model.n_layers=[1,2]", "model.n_layers");
        override("seed fractional", 2, "train.seed=1.5", "train.seed");
        override("dropout not a number", 2, "model.dropout=abc", "model.dropout");
        override("d_model beyond int", 2, "model.d_model=99999999999", "model.d_model", "int range");
        override("steps beyond long", 2, "train.steps=1e30", "train.steps");
        // out of range
        override("K > N_E", 2, "model.top_k=5", "top_k", "n_experts=4", "got 5");
        override("K = 0", 2, "model.top_k=0", "top_k");
        override("no experts", 2, "model.n_experts=0", "n_experts");
        override("expert size 0", 2, "model.expert_size=0", "expert_size");
        override("heads 0", 2, "model.n_heads=0", "n_heads");
        override("heads negative", 2, "model.n_heads=-2", "n_heads");
        override("head_dim 0", 2, "model.head_dim=0", "head_dim");
        override("d_model 0", 2, "model.d_model=0", "d_model");
        override("no layers", 2, "model.n_layers=0", "n_layers");
        override("dropout 1", 2, "model.dropout=1.0", "dropout");
        override("dropout negative", 2, "model.dropout=-0.1", "dropout");
        override("expert dropout 1", 2, "model.expert_dropout=1", "expert_dropout");
        override("entropy reg negative", 2, "model.entropy_reg=-1", "entropy_reg");
        override("layer norm eps 0", 2, "model.layer_norm_eps=0", "layer_norm_eps");
        override("unknown ffn", 2, "model.ffn=mlp", "model.ffn", "'mlp'", "sigma_moe");
        override("d_ff not N_E*G", 2, "model.d_ff=100", "d_ff", "n_experts * expert_size");
        override("vocab 1", 2, "model.vocab_size=1", "vocab_size");
        override("vocab differs from corpus", 2, "model.vocab_size=300", "model.vocab_size = 300", "model.vocab_size=null");
        override("negative steps", 2, "train.steps=-5", "steps", "got -5");
        override("zero steps", 2, "train.steps=0", "steps");
        override("batch 0", 2, "train.batch_size=0", "batch_size");
        override("batch not divisible by workers", 2, "train.batch_size=7", "batch_size", "divisible by workers");
        override("workers 0", 2, "train.workers=0", "workers");
        override("workers not dividing batch", 2, "train.workers=3", "divisible by workers (3)");
        override("segment 0", 2, "train.segment_length=0", "segment_length");
        override("memory negative", 2, "train.mem_segments=-1", "mem_segments");
        override("lr 0", 2, "train.lr=0", "lr");
        override("lr negative", 2, "train.lr=-1", "lr");
        override("lr NaN", 2, "train.lr=NaN", "lr");
        override("warmup beyond steps", 2, "train.warmup=100", "warmup");
        override("beta1 1", 2, "train.adam_beta1=1", "adam_beta1");
        override("beta2 negative", 2, "train.adam_beta2=-0.5", "adam_beta2");
        override("eps 0", 2, "train.adam_eps=0", "adam_eps");
        override("clip negative", 2, "train.grad_clip=-1", "grad_clip");
        override("log interval 0", 2, "train.log_interval=0", "log_interval");
        override("eval interval negative", 2, "train.eval_interval=-1", "eval_interval");
        override("eval batches negative", 2, "train.eval_batches=-1", "eval_batches");
        override("checkpoint interval negative", 2, "train.checkpoint_interval=-1", "checkpoint_interval");
        override("H 0", 2, "train.averaging_frequency=0", "averaging_frequency");
        override("rounds per job 0", 2, "train.rounds_per_job=0", "rounds_per_job");
        override("removed key tree_depth", 2, "train.tree_depth=2", "was removed");
        override("unknown schedule", 2, "train.lr_schedule=linear", "train.lr_schedule", "cosine");
        override("unknown regulariser mode", 2, "train.entropy_reg_mode=both", "train.entropy_reg_mode", "global");
        override("eval batch 0", 2, "train.eval_batch=0", "eval_batch");
        override("eval memory negative", 2, "train.eval_mem_segments=-1", "eval_mem_segments");
        // sizes that cannot fit
        cmd("model beyond 2^31 parameters", 2, List.of("train", "CONF", "model.d_model=100000", "model.n_layers=1000"),
                "parameters", "model.d_model=100000", "model.n_layers=1000");
        cmd("heads x head_dim overflows int", 2, List.of("train", "CONF", "model.n_heads=100000", "model.head_dim=100000"),
                "parameters", "model.n_heads=100000", "model.head_dim=100000");
        cmd("model beyond this JVM's memory", 2, List.of("train", "CONF", "model.d_model=4096", "model.n_heads=64",
                "model.head_dim=64", "model.n_layers=16"), "off-heap memory", "model.d_model=4096");
        cmd("batch too large for an array", 2, List.of("train", "CONF", "train.batch_size=100000", "train.segment_length=100000"),
                "train.batch_size=100000", "train.segment_length=100000");
        override("corpus too small for B x T", 1, "train.batch_size=2048", "train split", "train.batch_size=2048");
        cmd("valid split shorter than a segment", 1, List.of("train", "CONF", "train.batch_size=2", "train.segment_length=5000"),
                "valid split", "train.segment_length=5000");
        // paths
        override("data does not exist", 1, "train.data=/nonexistent/corpus", "/nonexistent/corpus", "does not exist");
        override("data is a file", 1, "train.data=AFILE", "not a prepared corpus", "afile");
        override("data not set", 2, "train.data=null", "train.data");
        override("run dir is a file", 1, "train.run_dir=AFILE/run", "train.run_dir", "afile", "cannot create");
        cmd("config does not exist", 2, List.of("train", "/nonexistent/x.conf"), "configuration file '/nonexistent/x.conf' not found");
        cmd("config by unknown name", 2, List.of("train", "tiny-mo"), "'tiny-mo' not found", "tiny-moe.conf");
        cmd("config syntax error", 2, List.of("train", "BADSYNTAX"), "cannot read configuration", "bad.conf");
        cmd("missing include", 2, List.of("train", "BADINCLUDE"), "include.conf");
        cmd("description not a string", 2, List.of("train", "BADDESC"), "description");
        cmd("model not a section", 2, List.of("train", "BADMODEL"), "'model' must be a section");
        // masters
        cmd("bad master option", 2, List.of("train", "CONF", "--master", "yarnn"), "--master yarnn", "not a Spark master URL");
        override("bad master key", 2, "train.master=bogus://x", "train.master = bogus://x", "not a Spark master URL");
        cmd("empty master", 2, List.of("train", "CONF", "--master", ""), "not a Spark master URL");
        cmd("local with 0 threads", 2, List.of("train", "CONF", "--master", "local[0]"), "--master local[0]", "cannot start Spark");
        // the command line
        cmd("unknown option", 2, List.of("train", "CONF", "--bogus"), "Unknown option: '--bogus'");
        cmd("missing CONFIG", 2, List.of("train"), "Missing required parameter: 'CONFIG'");
        cmd("option without its value", 2, List.of("train", "CONF", "--master"), "Missing required parameter for option '--master'");
        cmd("flag with a value", 2, List.of("train", "CONF", "--resume=yes"), "--resume");
        override("override without =", 2, "train.steps", "override 'train.steps' is not key=value");
        override("override with empty key", 2, "=5", "override '=5' is not key=value");
        override("override with bad key", 2, "train..steps=3", "'train..steps' is not a dotted key");
        cmd("unknown subcommand", 2, List.of("trian", "CONF"), "Unmatched argument");
    }

    @BeforeAll
    static void files() throws Exception {
        corpus = TestCorpora.byteCorpus(tmp.resolve("corpus"), 30_000, 4_000, 4_000);
        runDir = tmp.resolve("run");
        conf = Fixtures.confFile(tmp.resolve("run.conf"), corpus, runDir);
        aFile = Files.writeString(tmp.resolve("afile"), "not a directory");
        Files.writeString(tmp.resolve("bad.conf"), "model { d_model = 32\ntrain { steps = }\n");
        Files.writeString(tmp.resolve("include.conf"), "include required(\"" + tmp.resolve("missing-include.conf") + "\")\n");
        Files.writeString(tmp.resolve("desc.conf"), Files.readString(conf) + "description = { a = 1 }\n");
        Files.writeString(tmp.resolve("model.conf"), "model = 5\n");
    }

    @TestFactory
    Stream<DynamicTest> everyBadConfigurationIsOneClearParagraph() {
        assertTrue(CASES.size() >= 50, CASES.size() + " cases");
        return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> args = new ArrayList<>();
            for (String a : c.args())
                args.add(a.replace("CONF", conf.toString()).replace("AFILE", aFile.toString())
                        .replace("BADSYNTAX", tmp.resolve("bad.conf").toString())
                        .replace("BADINCLUDE", tmp.resolve("include.conf").toString())
                        .replace("BADDESC", tmp.resolve("desc.conf").toString())
                        .replace("BADMODEL", tmp.resolve("model.conf").toString()));
            Fixtures.Run r = Fixtures.cli(args.toArray(new String[0]));
            String m = Fixtures.assertCleanError(r, c.rc(), c.fragments().toArray(new String[0]));
            System.out.printf("  %-36s exit %d, %.2f s: %s%n", c.name(), r.rc(), r.seconds(), m);
            assertFalse(Files.exists(runDir.resolve("metrics.jsonl")), "no training started");
        }));
    }
}
