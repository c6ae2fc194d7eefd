package sigmoe.model;

import java.util.Arrays;

/**
 * One tensor as described by a validated header: dtype, shape, and its byte range {@code [begin, end)} within the
 * data section (after the 8-byte prefix and the header).
 */
public record SafetensorsEntry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
    public SafetensorsEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long numel() { return (end - begin) / dtype.size; }

    @Override
    public String toString() { return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")"; }
}
