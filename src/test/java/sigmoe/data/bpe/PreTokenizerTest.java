package sigmoe.data.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Pre-token boundaries by hand, and agreement with the reference restatement of the rules. */
class PreTokenizerTest {
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        PreTokenizer.split(line, out::add);
        assertEquals(line, String.join("", out), "pre-tokens concatenate to the line");
        assertEquals(NaiveBpe.preTokens(line), out, "reference pre-tokens");
        return out;
    }

    @Test
    void spacesAttachToTheFollowingWordAndDigitsStandAlone() {
        assertEquals(List.of(" The", " ", " whale", ",", " ", "1", "8", "5", "1", "—“", "Call"),
                split(" The  whale, 1851—“Call"));
        assertEquals(List.of("x", "2", "y"), split("x2y"));
        assertEquals(List.of(" ", " ", " "), split("   "));
        assertEquals(List.of(), split(""));
        assertEquals(List.of(" don", "'", "t", " ", "３", "٣"), split(" don't ３٣")); // fullwidth and Arabic-Indic digits
    }

    @Test
    void scriptsSplitExceptJapaneseAndCombiningMarks() {
        assertEquals(List.of(" 日本語のテキスト", "。"), split(" 日本語のテキスト。"));
        assertEquals(List.of(" cafe\u0301s", "."), split(" cafe\u0301s.")); // a combining mark stays in its word
        assertEquals(List.of(" Русский", "Latin"), split(" РусскийLatin"));
        assertEquals(List.of("😀👍🏽", " 🇩🇪"), split("😀👍🏽 🇩🇪"));
        assertEquals(List.of("a", "\t", "b", "\u00a0", "c"), split("a\tb\u00a0c")); // tab, NBSP: Common script
        assertEquals(List.of(" \u0301x", "1", "\u20e3"), split(" \u0301x1\u20e3")); // a digit is always alone
    }

    @Test
    void longRunsAreCutEvery64CodePoints() {
        String x = "x".repeat(130);
        assertEquals(List.of("x".repeat(64), "x".repeat(64), "xx"), split(x));
        String han = "漢".repeat(64) + "\uD83D\uDE00".repeat(3); // Han then Common (emoji: surrogate pairs)
        assertEquals(List.of("漢".repeat(64), "\uD83D\uDE00".repeat(3)), split(han));
        assertEquals(64, split(" " + "y".repeat(70)).get(0).length()); // the space counts
    }
}
