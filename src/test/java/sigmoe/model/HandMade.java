package sigmoe.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors bytes by hand, the way another program would (tests only). */
final class HandMade {
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /** Appends raw little-endian bytes and returns the [begin, end] offsets as JSON text. */
    String f32(float... v) { return append(ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN), b -> { for (float x : v) b.putFloat(x); }); }

    String f64(double... v) { return append(ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN), b -> { for (double x : v) b.putDouble(x); }); }

    String i64(long... v) { return append(ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN), b -> { for (long x : v) b.putLong(x); }); }

    String raw16(short... v) { return append(ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN), b -> { for (short x : v) b.putShort(x); }); }

    private String append(ByteBuffer b, java.util.function.Consumer<ByteBuffer> fill) {
        fill.accept(b);
        int begin = data.size();
        data.writeBytes(b.array());
        return "[" + begin + "," + data.size() + "]";
    }

    byte[] data() { return data.toByteArray(); }

    /** prefix + header (padded with {@code pad} spaces) + data. */
    static byte[] file(String header, int pad, byte[] data) {
        byte[] h = (header + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }
}
