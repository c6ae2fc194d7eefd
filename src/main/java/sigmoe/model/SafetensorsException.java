package sigmoe.model;

import java.io.IOException;

/**
 * A safetensors file that is not what it claims to be. The message names the file, the tensor (when one is
 * concerned), the header field, and what was expected versus found.
 */
public final class SafetensorsException extends IOException {
    public SafetensorsException(String message) { super(message); }

    static SafetensorsException of(String file, String tensor, String field, String expected, Object found) {
        StringBuilder m = new StringBuilder(file).append(": ");
        if (tensor != null) m.append("tensor '").append(tensor).append("'");
        if (field != null) m.append(tensor != null ? ", " : "").append("field ").append(field);
        m.append(": expected ").append(expected).append(", found ").append(found);
        return new SafetensorsException(m.toString());
    }
}
