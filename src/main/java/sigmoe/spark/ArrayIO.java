package sigmoe.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Bulk Java serialisation of the round state's large arrays (megabytes of floats each round, both ways): raw
 * little-endian bytes through a 64 KB buffer, converted by the JDK's bulk buffer copies instead of
 * ObjectOutputStream's per-element loop, which runs interpreted for most of the few calls a round makes.
 */
final class ArrayIO {
    private static final int CHUNK = 1 << 16;

    private ArrayIO() {}

    static void writeFloats(ObjectOutputStream out, float[] a) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a == null) return;
        byte[] buf = new byte[CHUNK];
        FloatBuffer f = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int off = 0; off < a.length; off += f.capacity()) {
            int n = Math.min(f.capacity(), a.length - off);
            f.clear();
            f.put(a, off, n);
            out.write(buf, 0, n * Float.BYTES);
        }
    }

    static float[] readFloats(ObjectInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0) return null;
        float[] a = new float[len];
        byte[] buf = new byte[CHUNK];
        FloatBuffer f = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int off = 0; off < len; off += f.capacity()) {
            int n = Math.min(f.capacity(), len - off);
            in.readFully(buf, 0, n * Float.BYTES);
            f.clear();
            f.get(a, off, n);
        }
        return a;
    }

    static void writeDoubles(ObjectOutputStream out, double[] a) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a == null) return;
        byte[] buf = new byte[CHUNK];
        DoubleBuffer d = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        for (int off = 0; off < a.length; off += d.capacity()) {
            int n = Math.min(d.capacity(), a.length - off);
            d.clear();
            d.put(a, off, n);
            out.write(buf, 0, n * Double.BYTES);
        }
    }

    static double[] readDoubles(ObjectInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0) return null;
        double[] a = new double[len];
        byte[] buf = new byte[CHUNK];
        DoubleBuffer d = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        for (int off = 0; off < len; off += d.capacity()) {
            int n = Math.min(d.capacity(), len - off);
            in.readFully(buf, 0, n * Double.BYTES);
            d.clear();
            d.get(a, off, n);
        }
        return a;
    }
}
