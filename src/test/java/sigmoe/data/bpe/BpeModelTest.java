package sigmoe.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import sigmoe.data.CorpusFormatException;
import sigmoe.data.UnitCounts;
import sigmoe.data.Vocabulary;

/** The model: merges file round trip and errors, exact decoding, byte fallback. */
class BpeModelTest {
    private static BpeModel trained() throws IOException {
        UnitCounts c = new UnitCounts();
        BpeTokenizer tok = new BpeTokenizer(300);
        for (String l : BpeTestText.lines(BpeTestText.mobyDick(30_000))) tok.count(l, c);
        for (String l : BpeTestText.MULTILINGUAL) tok.count(l, c);
        return BpeTrainer.train(c, 300);
    }

    @Test
    void mergesFileRoundTripsAndNamesBadLines() throws IOException {
        BpeModel m = trained();
        assertEquals(300, m.size());
        byte[] file = m.toMergesFile();
        String text = new String(file, StandardCharsets.UTF_8);
        assertEquals(44, text.split("\n").length);
        assertTrue(text.startsWith("e ▁\n") || text.contains("▁ t\n"), text.substring(0, 40));
        BpeModel back = BpeModel.parseMerges(file, "m.txt");
        assertArrayEquals(file, back.toMergesFile());
        for (int id = 0; id < m.size(); id++) assertArrayEquals(m.token(id), back.token(id));

        assertEquals(0, BpeModel.parseMerges(new byte[0], "empty").merges());
        String[][] bad = {
                {"a b\nab\n", "line 2: expected two tokens separated by one space"},
                {"a b\nab  c\n", "line 2: expected two tokens"},
                {"a b\nxy z\n", "line 2: expected tokens defined by earlier lines"},
                {"a b\na b\n", "line 2: expected a merge creating a new token"},
                {"\\x41 b\n", "line 1: expected tokens in vocab.txt form"}};
        for (String[] b : bad) {
            CorpusFormatException e = assertThrows(CorpusFormatException.class,
                    () -> BpeModel.parseMerges(b[0].getBytes(StandardCharsets.UTF_8), "m.txt"), b[0]);
            assertTrue(e.getMessage().startsWith("m.txt: " + b[1]), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BpeModel(new int[] {'a', 'b', 256, 'a'}, new int[] {'b', 'c', 'c', 257}));
        assertTrue(e.getMessage().contains("merge 3 creates \"abc\", already token 258"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeModel(new int[] {256}, new int[] {'a'}));
    }

    @Test
    void anyTextEncodesWithoutUnknownsAndDecodesExactly() throws IOException {
        BpeModel m = trained();
        Vocabulary v = m.vocabulary();
        assertTrue(v.isPieces());
        String[] texts = {String.join("\n", BpeTestText.MULTILINGUAL) + "\n", "no final newline", "\n\n\r\n",
                "देवनागरी unseen 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u0000\u0001 \uFFFD", ""};
        for (String t : texts) {
            int[] ids = m.encode(t);
            for (int id : ids) assertTrue(id >= 0 && id < m.size());
            assertEquals(t, v.decode(ids, 0, ids.length));
            assertArrayEquals(t.getBytes(StandardCharsets.UTF_8), v.decodeBytes(ids, 0, ids.length));
        }
        // vocab.txt parses back to the same byte strings
        Vocabulary back = Vocabulary.parsePieces(v.toFileBytes(), "vocab.txt");
        for (int id = 0; id < v.size(); id++) assertArrayEquals(v.pieceBytes(id), back.pieceBytes(id));
        assertEquals(List.of("▁", "\\x0A", "\\xFF"), List.of(v.token(' '), v.token('\n'), v.token(255)));
        CorpusFormatException e = assertThrows(CorpusFormatException.class,
                () -> Vocabulary.parsePieces("a\n\\x62\n".getBytes(StandardCharsets.UTF_8), "vocab.txt"));
        assertTrue(e.getMessage().startsWith("vocab.txt: line 2: expected a BPE token in text form"), e.getMessage());
    }
}
