package sigmoe.data.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The text form of tokens: readable, escaped where needed, one spelling per byte string. */
class PieceTextTest {
    private static String r(String text) {
        return PieceText.render(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readableTextStaysAndTheRestIsEscaped() {
        assertEquals("▁the", r(" the"));
        assertEquals("café—“x”", r("café—“x”"));
        assertEquals("日本😀", r("日本😀"));
        assertEquals("\\x0A", r("\n"));
        assertEquals("\\x09\\x0D\\x00\\x7F", r("\t\r\u0000\u007f"));
        assertEquals("\\xC2\\x85\\xE2\\x80\\xA8", r("\u0085\u2028")); // NEL and LS would break lines in editors
        assertEquals("\\xE2\\x96\\x81▁", r("\u2581 ")); // a literal ▁ must not read back as a space
        assertEquals("a\\\\b", r("a\\b"));
        assertEquals("\\xC3", PieceText.render(new byte[] {(byte) 0xc3}));        // a partial character
        assertEquals("\\xE6\\x97", PieceText.render(new byte[] {(byte) 0xe6, (byte) 0x97}));
        assertEquals("\\xC0\\xAF", PieceText.render(new byte[] {(byte) 0xc0, (byte) 0xaf})); // overlong '/'
        assertEquals("\\xED\\xA0\\x80", PieceText.render(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})); // surrogate
    }

    @Test
    void everyByteStringHasOneTextFormThatParsesBack() {
        Set<String> forms = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            byte[] one = {(byte) b};
            String t = PieceText.render(one);
            assertTrue(forms.add(t), "distinct form for byte " + b);
            assertTrue(t.indexOf('\n') < 0 && t.indexOf(' ') < 0, t);
            assertArrayEquals(one, PieceText.parse(t));
        }
        Random rnd = new Random(1);
        byte[] pool = " aé\\\n▁\u0085日😀".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[rnd.nextInt(9)];
            for (int k = 0; k < b.length; k++) b[k] = rnd.nextInt(4) == 0 ? (byte) rnd.nextInt(256) : pool[rnd.nextInt(pool.length)];
            String t = PieceText.render(b);
            assertTrue(t.indexOf('\n') < 0 && t.indexOf(' ') < 0 && t.indexOf('\r') < 0, t);
            assertArrayEquals(b, PieceText.parse(t), t);
        }
    }

    @Test
    void otherSpellingsAreRefused() {
        for (String bad : new String[] {"\\x41", "\\xe2", "\\q", "\\x4", "\\", "a b", "\\xC3\\xA9", "\u2028", "\uD800"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PieceText.parse(bad), bad);
            assertTrue(e.getMessage().contains("canonical") || e.getMessage().contains("escape")
                    || e.getMessage().contains("surrogate"), e.getMessage());
        }
    }
}
