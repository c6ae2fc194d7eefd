package sigmoe.data;

import java.io.IOException;

/**
 * A prepared corpus that does not match formats.md §1: corrupt, truncated or inconsistent files. The message
 * always names the file, the field, and what was expected versus found, so that the user can tell a truncated
 * copy from a foreign writer's bug.
 */
public final class CorpusFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CorpusFormatException(String message) {
        super(message);
    }

    /** "FILE: FIELD: expected E, found F" plus an optional hint on the likely cause. */
    public static CorpusFormatException mismatch(String file, String field, Object expected, Object found, String hint) {
        String m = file + ": " + field + ": expected " + expected + ", found " + found;
        return new CorpusFormatException(hint == null || hint.isEmpty() ? m : m + " (" + hint + ")");
    }
}
