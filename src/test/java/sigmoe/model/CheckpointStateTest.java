package sigmoe.model;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointStateTest {
    @TempDir Path dir;

    @Test
    void roundTripsArraysAndScalars() throws IOException {
        INDArray memory = Nd4j.create(DataType.FLOAT, 2, 3, 4);
        for (int i = 0; i < 24; i++) memory.putScalar(i, i * 0.5f);
        INDArray moments = Nd4j.create(DataType.DOUBLE, 10).assign(0.1);
        String uri = dir.resolve("state.safetensors").toString();
        new CheckpointState()
                .putFloats("adam.m", new float[] {1, 2, 3})
                .putDoubles("adam.v", new long[] {1, 2}, new double[] {1e-9, 2})
                .putLongs("streams.cursor", new long[] {0, 1L << 40, -5})
                .putLongs("rng", new long[] {2, 1}, new long[] {Long.MIN_VALUE, Long.MAX_VALUE})
                .putArray("memory.layer0", memory)
                .putArray("moments.flat", moments)
                .setLong("step", 4000)
                .setDouble("lr", 2.5e-4 / 3)
                .set("note", "resume me")
                .write(uri);
        CheckpointState s = CheckpointState.read(uri);
        assertArrayEquals(new float[] {1, 2, 3}, s.floats("adam.m"));
        assertArrayEquals(new float[] {1e-9f, 2f}, s.floats("adam.v"));
        assertArrayEquals(new long[] {1, 2}, s.shape("adam.v"));
        assertArrayEquals(new long[] {0, 1L << 40, -5}, s.longs("streams.cursor"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, s.longs("rng"));
        assertEquals(4000, s.getLong("step"));
        assertEquals(2.5e-4 / 3, s.getDouble("lr"), 0.0);
        assertEquals("resume me", s.get("note"));
        INDArray back = Nd4j.create(DataType.FLOAT, 2, 3, 4);
        s.readInto("memory.layer0", back);
        assertEquals(memory, back);
        assertEquals(0.1f, s.floats("moments.flat")[9], 0.0);
        String m = assertThrows(SafetensorsException.class, () -> s.readInto("memory.layer0", Nd4j.create(DataType.FLOAT, 24))).getMessage();
        assertTrue(m.contains("memory.layer0") && m.contains("[24]") && m.contains("[2, 3, 4]"), m);
        m = assertThrows(SafetensorsException.class, () -> s.getLong("missing")).getMessage();
        assertTrue(m.contains("__metadata__.missing"), m);
        m = assertThrows(SafetensorsException.class, () -> s.floats("rng")).getMessage();
        assertTrue(m.contains("'rng'") && m.contains("integer"), m);
    }

    @Test
    void aModelCheckpointIsNotAStateFile() throws IOException {
        String uri = dir.resolve("model.safetensors").toString();
        Checkpoint.save(CheckpointTest.store(CheckpointTest.DENSE, DataType.FLOAT, 3), CheckpointTest.DENSE, 5, null, uri);
        String m = assertThrows(SafetensorsException.class, () -> CheckpointState.read(uri)).getMessage();
        assertTrue(m.contains("sgmoe-state-1") && m.contains("sgmoe-ckpt-1"), m);
    }
}
