package sigmoe.model;

import java.nio.ByteBuffer;

/**
 * The element types of the safetensors format (the names are the header's {@code dtype} strings). All are known so
 * that any valid file can be validated; only the float types convert to float and the integer types to long.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

    /** Bytes per element. */
    public final int size;

    SafetensorsDtype(int size) { this.size = size; }

    /** Null when {@code s} is not a safetensors dtype name. */
    public static SafetensorsDtype byName(String s) {
        for (SafetensorsDtype d : values()) if (d.name().equals(s)) return d;
        return null;
    }

    public boolean isFloat() { return this == F16 || this == BF16 || this == F32 || this == F64; }

    public boolean isInteger() {
        return this == BOOL || this == U8 || this == I8 || this == I16 || this == U16 || this == I32 || this == U32
                || this == I64 || this == U64;
    }

    /** Reads one element at the buffer's position (little-endian buffer) as a float; float types only. */
    float readFloat(ByteBuffer b) {
        switch (this) {
            case F32: return b.getFloat();
            case F64: return (float) b.getDouble();
            case F16: return halfToFloat(b.getShort());
            case BF16: return Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
            default: throw new IllegalStateException(this + " is not a float type");
        }
    }

    /** Reads one element as a long; integer types only (U64 keeps its bit pattern). */
    long readLong(ByteBuffer b) {
        switch (this) {
            case BOOL: case U8: return b.get() & 0xFFL;
            case I8: return b.get();
            case I16: return b.getShort();
            case U16: return b.getShort() & 0xFFFFL;
            case I32: return b.getInt();
            case U32: return b.getInt() & 0xFFFFFFFFL;
            case I64: case U64: return b.getLong();
            default: throw new IllegalStateException(this + " is not an integer type");
        }
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat), subnormals, infinities and NaN included. */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant * 0x1.0p-24f;                 // subnormal: mant · 2^-24
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
