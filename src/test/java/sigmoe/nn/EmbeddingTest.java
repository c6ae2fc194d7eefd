package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EmbeddingTest {
    @Test
    void looksUpRowsAndAccumulatesRepeatedIds() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            ParamStore ps = new ParamStore(dt);
            Embedding emb = new Embedding(ps, "embedding", 6, 3);
            ps.allocate();
            assertEquals("embedding.weight", emb.weight.name);
            TestData.fillParams(ps, 1, 1);
            int[] ids = {2, 5, 2, 0, 2, 99};
            INDArray y = emb.forward(ids, 5);
            assertEquals(5, y.size(0));
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 3; j++) assertEquals(emb.weight.value().getDouble(ids[i], j), y.getDouble(i, j));
            ids[0] = 4; // forward copied the ids: changing the caller's array must not change backward
            INDArray dy = TestData.randn(dt, 2, 1, 5, 3);
            ps.zeroGrads();
            emb.backward(dy);
            emb.backward(dy); // accumulates
            INDArray g = emb.weight.grad();
            for (int j = 0; j < 3; j++) {
                assertEquals(2 * (dy.getDouble(0, j) + dy.getDouble(2, j) + dy.getDouble(4, j)), g.getDouble(2, j), 1e-5);
                assertEquals(2 * dy.getDouble(1, j), g.getDouble(5, j), 1e-6);
                assertEquals(2 * dy.getDouble(3, j), g.getDouble(0, j), 1e-6);
                assertEquals(0.0, g.getDouble(4, j));
                assertEquals(0.0, g.getDouble(1, j));
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        ParamStore ps = new ParamStore(DataType.DOUBLE);
        Embedding emb = new Embedding(ps, "embedding", 5, 4);
        ps.allocate();
        TestData.fillParams(ps, 3, 1);
        int[] ids = {1, 3, 1, 1, 4, 0, 3};
        INDArray r = TestData.randn(DataType.DOUBLE, 4, 1, 7, 4);
        ps.zeroGrads();
        emb.forward(ids, 7);
        emb.backward(r);
        GradCheck.check("embedding", emb.weight.value(), emb.weight.grad().dup(),
                () -> GradCheck.dot(emb.forward(ids, 7), r), 1000, 1e-5, 1e-7);
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        Embedding emb = new Embedding(ps, "embedding", 5, 2);
        ps.allocate();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {1, 5}, 2));
        assertEquals(true, e.getMessage().contains("vocab"));
        assertThrows(IllegalStateException.class, () -> new Embedding(new ParamStore(DataType.FLOAT).allocate(), "e", 2, 2));
        assertThrows(IllegalStateException.class, () -> emb.backward(Nd4j.create(DataType.FLOAT, 2, 2)));
        emb.forward(new int[] {1, 4}, 2);
        assertThrows(IllegalArgumentException.class, () -> emb.backward(Nd4j.create(DataType.FLOAT, 1, 2)));
    }

    @Test
    void xavierInitStaysInItsBound() {
        ParamStore ps = new ParamStore(DataType.FLOAT);
        Embedding emb = new Embedding(ps, "embedding", 300, 20);
        ps.allocate();
        emb.init(new Rng(5));
        double bound = Math.sqrt(6.0 / (300 + 20));
        INDArray w = emb.weight.value();
        Mem m = Mem.of(w);
        double max = 0;
        for (int i = 0; i < m.length; i++) max = Math.max(max, Math.abs(m.get(i)));
        Reference.reachabilityFence(w);
        assertEquals(true, max <= bound && max > 0.95 * bound, "max |w| " + max + " vs bound " + bound);
    }
}
