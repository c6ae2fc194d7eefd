package sigmoe.model;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    @Test
    void roundTripFloatsDoublesLongsAndMetadata() throws IOException {
        String uri = dir.resolve("a.safetensors").toString();
        float[] f = {1.5f, -2f, 3.25f, Float.MIN_VALUE, Float.MAX_VALUE, -0f};
        double[] d = {0.1, -1e-30, 7};
        long[] l = {Long.MIN_VALUE, -1, 0, 42, Long.MAX_VALUE};
        Safetensors.write(uri, List.of(
                SafetensorsTensor.ofFloats("w", new long[] {2, 3}, f),
                SafetensorsTensor.ofDoubles("d", new long[] {3}, d),
                SafetensorsTensor.ofLongs("cursor", new long[] {5}, l),
                SafetensorsTensor.ofFloats("empty", new long[] {0, 4}, new float[0]),
                SafetensorsTensor.ofFloats("scalar", new long[] {}, new float[] {9f})),
                Map.of("note", "héllo \"quoted\""));
        try (SafetensorsReader r = Safetensors.open(uri)) {
            assertEquals(Map.of("note", "héllo \"quoted\""), r.metadata());
            assertArrayEquals(new long[] {2, 3}, r.entry("w").shape());
            assertEquals(SafetensorsDtype.F32, r.entry("d").dtype());
            assertEquals(SafetensorsDtype.I64, r.entry("cursor").dtype());
            assertArrayEquals(f, r.readFloats("w"));
            assertArrayEquals(new float[] {0.1f, (float) -1e-30, 7f}, r.readFloats("d"));
            assertArrayEquals(l, r.readLongs("cursor"));
            assertEquals(0, r.readFloats("empty").length);
            assertArrayEquals(new long[] {}, r.entry("scalar").shape());
            assertArrayEquals(new float[] {9f}, r.readFloats("scalar"));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> r.readLongs("w"));
            assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("dtype"), e.getMessage());
        }
    }

    @Test
    void layoutIsHuggingFaces() throws IOException {
        Path p = dir.resolve("layout.safetensors");
        Safetensors.write(p.toString(), List.of(SafetensorsTensor.ofFloats("x", new long[] {2}, new float[] {1f, 2f})), Map.of("k", "v"));
        byte[] b = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertEquals(8 + n + 8, b.length);
        assertEquals(2f, ByteBuffer.wrap(b, (int) (8 + n + 4), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void readsOtherDtypesAsFloat() throws IOException {
        HandMade h = new HandMade();
        // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), +inf ; BF16: 1.0, -3.0 (bit patterns)
        String f16 = h.raw16((short) 0x3C00, (short) 0xC000, (short) 0x7BFF, (short) 0x0001, (short) 0x7C00);
        String bf16 = h.raw16((short) 0x3F80, (short) 0xC040);
        String f64 = h.f64(0.5, -1e300);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":" + f16 + "},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":" + bf16 + "},"
                + "\"g\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":" + f64 + "}" + "}";
        Path p = HandMade.write(dir, "other.safetensors", HandMade.file(header, 3, h.data()));
        try (SafetensorsReader r = SafetensorsReader.open(p.toUri().toString())) {
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1.0p-24f, Float.POSITIVE_INFINITY}, r.readFloats("h"));
            assertArrayEquals(new float[] {1f, -3f}, r.readFloats("b"));
            assertArrayEquals(new float[] {0.5f, Float.NEGATIVE_INFINITY}, r.readFloats("g"));
            assertTrue(r.metadata().isEmpty());
        }
    }

    @Test
    void halfConversionMatchesFloatForAllNormals() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exp = (bits >>> 10) & 0x1F;
            if (exp == 0 || exp == 0x1F) continue;
            float f = SafetensorsDtype.halfToFloat((short) bits);
            double expected = ((bits & 0x8000) != 0 ? -1 : 1) * (1 + (bits & 0x3FF) / 1024.0) * Math.pow(2, exp - 15);
            assertEquals(expected, f, 0.0, "bits " + Integer.toHexString(bits));
        }
    }

    @Test
    void writesAtomicallyAndReplaces() throws IOException {
        String uri = dir.resolve("m.safetensors").toUri().toString();
        Safetensors.write(uri, List.of(SafetensorsTensor.ofFloats("x", new long[] {1}, new float[] {1f})), Map.of());
        Safetensors.write(uri, List.of(SafetensorsTensor.ofFloats("x", new long[] {1}, new float[] {2f})), Map.of());
        try (SafetensorsReader r = Safetensors.open(uri)) { assertArrayEquals(new float[] {2f}, r.readFloats("x")); }
        // a writer that dies half way leaves the previous complete file and no temporary
        RuntimeException boom = new RuntimeException("boom");
        SafetensorsTensor failing = SafetensorsTensor.ofFloatSource("x", new long[] {100_000}, i -> { if (i == 50_000) throw boom; return 3f; });
        assertSame(boom, assertThrows(RuntimeException.class, () -> Safetensors.write(uri, List.of(failing), Map.of())));
        try (SafetensorsReader r = Safetensors.open(uri)) { assertArrayEquals(new float[] {2f}, r.readFloats("x")); }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("m.safetensors"), s.map(p -> p.getFileName().toString()).toList(), "no temporary or .crc files");
        }
    }

    // ---- untrusted input ----

    private String bad(String name, byte[] bytes) throws IOException {
        Path p = HandMade.write(dir, name, bytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(p.toString()).close());
        assertTrue(e.getMessage().contains(name), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static String t(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void rejectsBadLengthsAndJson() throws IOException {
        assertTrue(bad("short.st", new byte[] {1, 2, 3}).contains("header length"));
        byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L).array();
        assertTrue(bad("huge.st", huge).contains("at most 100000000"));
        byte[] past = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(9).array();
        assertTrue(bad("past.st", past).contains("at most 8 bytes"));
        byte[] neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array();
        assertTrue(bad("neg.st", neg).contains("18446744073709551615"));
        assertTrue(bad("notjson.st", HandMade.file("{\"a\":", 0, new byte[0])).contains("syntax error"));
        assertTrue(bad("array.st", HandMade.file("[1]", 0, new byte[0])).contains("starting with '{'"));
        assertTrue(bad("trailing.st", HandMade.file("{} {}", 0, new byte[0])).contains("only spaces after"));
    }

    @Test
    void rejectsInconsistentTensors() throws IOException {
        byte[] eight = new byte[8];
        String dup = bad("dup.st", HandMade.file("{" + t("a", "F32", "[1]", "[0,4]") + "," + t("a", "F32", "[1]", "[4,8]") + "}", 0, eight));
        assertTrue(dup.contains("'a'") && dup.contains("duplicate"), dup);
        String size = bad("size.st", HandMade.file("{" + t("w", "F32", "[3]", "[0,8]") + "}", 0, eight));
        assertTrue(size.contains("'w'") && size.contains("data_offsets") && size.contains("12 bytes") && size.contains("found 8 bytes"), size);
        String gap = bad("gap.st", HandMade.file("{" + t("a", "F32", "[1]", "[4,8]") + "}", 0, eight));
        assertTrue(gap.contains("'a'") && gap.contains("begin = 0") && gap.contains("gap"), gap);
        String overlap = bad("overlap.st", HandMade.file("{" + t("a", "F32", "[2]", "[0,8]") + "," + t("b", "F32", "[1]", "[4,8]") + "}", 0, eight));
        assertTrue(overlap.contains("'b'") && overlap.contains("overlap") && overlap.contains("'a' ends"), overlap);
        String beyond = bad("beyond.st", HandMade.file("{" + t("a", "F32", "[4]", "[0,16]") + "}", 0, eight));
        assertTrue(beyond.contains("'a'") && beyond.contains("end <= 8"), beyond);
        String tail = bad("tail.st", HandMade.file("{" + t("a", "F32", "[1]", "[0,4]") + "}", 0, eight));
        assertTrue(tail.contains("whole data section of 8 bytes") && tail.contains("ending at byte 4"), tail);
        String dtype = bad("dtype.st", HandMade.file("{" + t("a", "F33", "[1]", "[0,4]") + "}", 0, new byte[4]));
        assertTrue(dtype.contains("'a'") && dtype.contains("field dtype") && dtype.contains("F33"), dtype);
        String shape = bad("shape.st", HandMade.file("{" + t("a", "F32", "[-1]", "[0,4]") + "}", 0, new byte[4]));
        assertTrue(shape.contains("shape[0]") && shape.contains("-1"), shape);
        String order = bad("order.st", HandMade.file("{" + t("a", "F32", "[1]", "[4,0]") + "}", 0, new byte[4]));
        assertTrue(order.contains("begin <= end"), order);
        String overflow = bad("overflow.st", HandMade.file("{" + t("a", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 0, new byte[4]));
        assertTrue(overflow.contains("overflow"), overflow);
        String missing = bad("missing.st", HandMade.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, new byte[4]));
        assertTrue(missing.contains("data_offsets") && missing.contains("nothing"), missing);
        String meta = bad("meta.st", HandMade.file("{\"__metadata__\":{\"step\":5}}", 0, new byte[0]));
        assertTrue(meta.contains("__metadata__.step") && meta.contains("a string"), meta);
    }
}
