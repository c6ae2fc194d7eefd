package sigmoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: usage errors are one paragraph with exit code 2; a run prints its statistics. */
class PrepareCommandTest {
    @TempDir
    Path tmp;

    private record Run(int rc, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }

    private static void usageError(Run r, String expected) {
        assertEquals(2, r.rc(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().split("\n").length, "one paragraph: " + r.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        usageError(run(), "missing subcommand");
        usageError(run("bogus"), "Unmatched argument");
        usageError(run("prepare"), "Missing required options");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--bogus"), "Unknown option: '--bogus'");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--shard-tokens", "many"),
                "Invalid value for option '--shard-tokens'");
        usageError(run("prepare", "--tokenizer", "unigram", "--output", "o", "--input", "i"), "--tokenizer unigram is unknown");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--vocab-size", "500"),
                "--vocab-size applies to --tokenizer bpe only");
        usageError(run("prepare", "--tokenizer", "bpe", "--output", "o", "--input", "i", "--vocab-size", "255"),
                "--vocab-size must be >= 256");
        usageError(run("prepare", "--tokenizer", "bpe", "--output", "o", "--input", "i", "--min-count", "2"),
                "apply to --tokenizer word only");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o"), "--input URI, or --train URI");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--train", "t"), "not both");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--train", "t", "--valid", "v"), "missing: --test");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--split-ratios", "0.9,0.1"),
                "needs 3 numbers");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--split-bytes", "1,2,3"),
                "--split-bytes applies to --tokenizer byte only");
        usageError(run("prepare", "--tokenizer", "byte", "--output", "o", "--input", "i", "--max-vocab", "9"),
                "apply to --tokenizer word only");
        usageError(run("prepare", "--tokenizer", "word", "--output", "o", "--input", "i", "--min-count", "0"),
                "--min-count must be >= 1");
    }

    @Test
    void helpListsTheOptions() {
        Run r = run("prepare", "--help");
        assertEquals(0, r.rc());
        for (String o : new String[] {"--tokenizer", "--split-bytes", "--vocab-size", "--shard-tokens", "--overwrite", "--master"}) {
            assertTrue(r.out().contains(o), r.out());
        }
    }

    @Test
    void runPrintsStatisticsAndRefusesToOverwrite() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 40; i++) s.append("line ").append(i % 7).append('\n');
        Path in = Files.writeString(tmp.resolve("in.txt"), s);
        String out = tmp.resolve("corpus").toString();
        String[] args = {"prepare", "--tokenizer", "word", "--input", in.toString(), "--output", out,
                "--master", "local[1]"};
        Run r = run(args);
        assertEquals(0, r.rc(), r.err());
        for (String part : new String[] {"vocabulary 10", "train", "valid", "test", "OOV rate", "MB/s", "output file:"}) {
            assertTrue(r.out().contains(part), r.out());
        }
        assertTrue(Files.exists(tmp.resolve("corpus/manifest.json")));
        usageError(run(args), "already exists; pass --overwrite");
        Run missing = run("prepare", "--tokenizer", "byte", "--input", tmp.resolve("none").toString(),
                "--output", tmp.resolve("c2").toString(), "--master", "local[1]");
        usageError(missing, "no such file");
        usageError(run("prepare", "--tokenizer", "byte", "--input", in.toString(), "--output", tmp.resolve("c3").toString(),
                "--master", "nonsense://x"), "--master nonsense://x: not a Spark master URL");
    }
}
