package sigmoe.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.data.Corpus;
import sigmoe.eval.EvalFixtures;
import sigmoe.eval.EvalFixtures.Run;
import sigmoe.eval.LoadedModel;
import sigmoe.model.ModelConfig;

/** {@code sigmoe generate}: N tokens, the same text for the same seed, one-paragraph errors. */
class GenerateCommandTest {
    @TempDir static Path tmp;
    static Path corpus, ckpt;

    @BeforeAll
    static void setUp() throws Exception {
        corpus = EvalFixtures.corpus(tmp);
        ckpt = EvalFixtures.checkpoint(tmp, "gen", corpus, 21, Map.of(LoadedModel.SEGMENT_KEY, "16"));
    }

    static Run generate(String... more) {
        String[] base = {"generate", "--checkpoint", ckpt.toString(), "--data", corpus.toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return EvalFixtures.cli(all);
    }

    @Test
    void generatesNTokensAndTheSameSeedGivesTheSameText() throws Exception {
        Run a = generate("--prompt", "Call me Ishmael. Some years ago", "--tokens", "40", "--seed", "7", "--top-k", "20", "--top-p", "0.95");
        assertEquals(0, a.rc(), a.err());
        JsonNode j = a.json();
        assertEquals(40, j.get("tokens").asInt());
        assertEquals(40, j.get("ids").size());
        assertEquals("Call me Ishmael. Some years ago", j.get("prompt").asText());
        assertEquals(31, j.get("prompt_tokens").asInt());
        assertEquals(16, j.get("segment").asInt());
        assertEquals(64, j.get("memory").asInt());
        int[] ids = new int[40];
        for (int i = 0; i < 40; i++) ids[i] = j.get("ids").get(i).asInt();
        String text = Corpus.open(corpus.toString()).vocabulary().decode(ids, 0, 40);
        assertEquals(text, j.get("text").asText());
        assertTrue(a.out().startsWith(text), "the text is printed before the JSON line");

        Run b = generate("--prompt", "Call me Ishmael. Some years ago", "--tokens", "40", "--seed", "7", "--top-k", "20", "--top-p", "0.95");
        assertEquals(j.get("ids"), b.json().get("ids"));
        Run c = generate("--prompt", "Call me Ishmael. Some years ago", "--tokens", "40", "--seed", "8", "--top-k", "20", "--top-p", "0.95");
        assertNotEquals(j.get("ids"), c.json().get("ids"));
    }

    @Test
    void greedyIgnoresTheSeedAndTheMemoryOptionIsUsed() throws Exception {
        JsonNode a = generate("--prompt", "the whale", "--tokens", "12", "--temperature", "0", "--seed", "1", "--memory", "5").json();
        JsonNode b = generate("--prompt", "the whale", "--tokens", "12", "--temperature", "0", "--seed", "2", "--memory", "5").json();
        assertEquals(a.get("ids"), b.get("ids"));
        assertEquals(5, a.get("memory").asInt());
    }

    @Test
    void badPromptsAndSettingsAreOneParagraphUsageErrors() throws Exception {
        Run snow = generate("--prompt", "a \u2603 b");
        assertEquals(2, snow.rc());
        snow.assertOneParagraphError();
        // Moby-Dick has other E2 98 .. characters, so only the last byte of U+2603 (E2 98 83) is missing
        assertTrue(snow.err().contains("0x83") && snow.err().contains("U+2603"), snow.err());

        Run empty = generate("--prompt", "");
        assertEquals(2, empty.rc());
        empty.assertOneParagraphError();

        Run topP = generate("--prompt", "a", "--top-p", "0");
        assertEquals(2, topP.rc());
        topP.assertOneParagraphError();
        assertTrue(topP.err().contains("--top-p"), topP.err());

        Run temp = generate("--prompt", "a", "--temperature", "-1");
        assertEquals(2, temp.rc());
        temp.assertOneParagraphError();

        Run missing = EvalFixtures.cli("generate", "--checkpoint", ckpt.toString(), "--data", corpus.toString());
        assertEquals(2, missing.rc());
        missing.assertOneParagraphError();
        assertTrue(missing.err().contains("--prompt"), missing.err());

        int v = Corpus.open(corpus.toString()).vocabSize();
        ModelConfig other = EvalFixtures.tiny(v - 1);
        Path foreign = EvalFixtures.checkpoint(tmp, "foreign", other, 3, Map.of());
        Run mismatch = EvalFixtures.cli("generate", "--checkpoint", foreign.toString(), "--data", corpus.toString(), "--prompt", "a");
        assertEquals(2, mismatch.rc());
        mismatch.assertOneParagraphError();
        assertTrue(mismatch.err().contains("vocab_size"), mismatch.err());

        Run noFile = EvalFixtures.cli("generate", "--checkpoint", tmp.resolve("x.safetensors").toString(), "--data", corpus.toString(), "--prompt", "a");
        assertEquals(1, noFile.rc());
        noFile.assertOneParagraphError();
    }
}
