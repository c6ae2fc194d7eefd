package sigmoe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import sigmoe.data.Vocabulary;

class PromptCodecTest {
    static final Vocabulary WORDS = Vocabulary.ofTokens(List.of("<eos>", "<unk>", "the", "whale", "Call", "me"));

    @Test
    void wordsSplitOnWhitespaceUnknownsBecomeUnkAndLineBreaksEos() {
        PromptCodec c = new PromptCodec("word", WORDS);
        PromptCodec.Encoded e = c.encode("  Call me\tIshmael\nthe  whale");
        assertArrayEquals(new int[] {4, 5, 1, 0, 2, 3}, e.ids(), "no <eos> after the last line: the model continues it");
        assertEquals(List.of("Ishmael"), e.unknown());
        assertArrayEquals(new int[] {2, 3, 0}, c.encode("the whale\n").ids(), "a final line break is an <eos>");
        assertArrayEquals(new int[] {0, 1}, c.encode("<eos> <unk>").ids(), "the specials' own text");
        assertArrayEquals(new int[0], c.encode("   ").ids());
    }

    @Test
    void wordsDecodeWithSpacesAndEosAsLineBreak() {
        PromptCodec c = new PromptCodec("word", WORDS);
        assertEquals("the whale\nCall me", c.decode(new int[] {2, 3, 0, 4, 5}, 0, 5));
        assertEquals("me <unk>", c.decode(new int[] {9, 5, 1}, 1, 2));
    }

    @Test
    void bytesMapThroughTheByteVocabularyAndMissingOnesAreNamed() {
        byte[] text = "Call me Ishmael.\n".getBytes(StandardCharsets.UTF_8);
        java.util.TreeSet<Integer> seen = new java.util.TreeSet<>();
        for (byte b : text) seen.add(b & 0xFF);
        Vocabulary v = Vocabulary.ofBytes(seen.stream().mapToInt(Integer::intValue).toArray());
        PromptCodec c = new PromptCodec("byte", v);
        int[] ids = c.encode("me.").ids();
        assertEquals(3, ids.length);
        assertEquals('m', v.byteValue(ids[0]));
        assertEquals('.', v.byteValue(ids[2]));
        assertEquals("Call me Ishmael.\n", c.decode(c.encode("Call me Ishmael.\n").ids(), 0, text.length));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode("Calé me!"));
        assertTrue(e.getMessage().contains("0xC3") && e.getMessage().contains("0xA9") && e.getMessage().contains("'é'")
                && e.getMessage().contains("0x21") && e.getMessage().contains("3 bytes"), e.getMessage());
    }

    @Test
    void invalidUtf8IsReplacedWhenDecodingBytes() {
        Vocabulary v = Vocabulary.ofBytes(new int[] {'a', 0xC3, 0xFF});
        PromptCodec c = new PromptCodec("byte", v);
        assertEquals("a\uFFFD\uFFFD", c.decode(new int[] {0, 1, 2}, 0, 3));
    }

    @Test
    void otherTokenizersAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PromptCodec("bpe", WORDS));
        assertTrue(e.getMessage().contains("bpe"), e.getMessage());
    }
}
