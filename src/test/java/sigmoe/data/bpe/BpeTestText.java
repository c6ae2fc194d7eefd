package sigmoe.data.bpe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import sigmoe.data.EmbeddedCorpus;

/** Test inputs: a Moby-Dick slice (with its em-dashes and curly quotes) and multilingual lines. */
final class BpeTestText {
    private BpeTestText() {}

    /** Lines of CJK, emoji, combining marks, controls and unusual whitespace. */
    static final List<String> MULTILINGUAL = List.of(
            " 日本語のテキストです。東京タワーは1958年に完成した。",
            " 中文文本，北京欢迎你！２０２３年。",
            " 한국어 텍스트 입니다",
            " emoji 😀😀👍🏽 and 🇩🇪 flags, ZWJ 👩‍👩‍👧",
            " café cafe\u0301 naïve — “quoted” ‘single’ …",
            " Ελληνικά και Русский текст, العربية ١٢٣",
            "\ttab\tseparated\u00a0nbsp\u2009thin\u3000ideographic",
            "  two  spaces   three\r",
            " backslash \\ and literal \u2581 mark and \u0000 NUL and \u007f DEL",
            "",
            " numbers 3.14159 and 1,000,000 and ٣٤٥ and ５６",
            " a very long run " + "x".repeat(150) + " and " + "漢".repeat(70));

    /** The first {@code bytes} of Moby-Dick, cut back to a line end, as text. */
    static String mobyDick(int bytes) throws IOException {
        byte[] b;
        try (InputStream in = EmbeddedCorpus.openMobyDick()) {
            b = in.readNBytes(bytes);
        }
        int end = b.length;
        while (end > 0 && b[end - 1] != '\n') end--;
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** The lines of a text ending in '\n'. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
            out.add(text.substring(start, i));
            start = i + 1;
        }
        if (start < text.length()) out.add(text.substring(start));
        return out;
    }
}
