package sigmoe.data;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 decoding of input lines: invalid input is reported, never silently replaced. */
final class Utf8 {
    private final CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    /** The text of {@code b[0..len)}, or null when it is not valid UTF-8. */
    String decode(byte[] b, int len) {
        // The JDK's replacing decoder is much faster than a CharsetDecoder; only a line that came out with
        // U+FFFD (a replacement, or a genuine U+FFFD in the text) is decoded again strictly to tell which.
        String s = new String(b, 0, len, StandardCharsets.UTF_8);
        if (s.indexOf('\uFFFD') < 0) return s;
        try {
            return strict.reset().decode(ByteBuffer.wrap(b, 0, len)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
