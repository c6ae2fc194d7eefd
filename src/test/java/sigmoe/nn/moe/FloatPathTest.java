package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Rng;

/**
 * The FLOAT path (Vector API kernels on ND4J memory) computes what the DOUBLE path (generic Mem loops, itself
 * checked against the dense reference and finite differences) computes, on widths with vector tails.
 */
class FloatPathTest {
    @Test
    void floatMatchesDouble() {
        int n = 96, d = 37, ne = 7, g = 20, k = 3;
        MoeFixture fd = new MoeFixture(DataType.DOUBLE, d, ne, g, k, 0.2, 0.5, 80, 0.3);
        MoeFixture ff = new MoeFixture(DataType.FLOAT, d, ne, g, k, 0.2, 0.5, 0, 0);
        MoeFixture.copy(fd.store.values(), ff.store.values());
        INDArray xd = MoeFixture.randn(DataType.DOUBLE, n, d, 81, 1.0);
        INDArray dyd = MoeFixture.randn(DataType.DOUBLE, n, d, 82, 1.0);
        INDArray xf = xd.castTo(DataType.FLOAT), dyf = dyd.castTo(DataType.FLOAT);
        fd.layer.setCollectStats(true);
        ff.layer.setCollectStats(true);
        for (int step = 0; step < 2; step++) { // the second step reuses every buffer
            double[] yd = MoeFixture.arr(fd.layer.forward(xd, true, new Rng(step)));
            double[] yf = MoeFixture.arr(ff.layer.forward(xf, true, new Rng(step)));
            for (int t = 0; t < n; t++)
                for (int j = 0; j < k; j++) assertEquals(fd.layer.selected(t, j), ff.layer.selected(t, j));
            assertTrue(MoeFixture.relDiff(yf, yd) < 1e-5, "y");
            assertEquals(fd.layer.entropyLoss(), ff.layer.entropyLoss(), 1e-6);
            fd.store.zeroGrads();
            ff.store.zeroGrads();
            double[] dxd = MoeFixture.arr(fd.layer.backward(dyd));
            double[] dxf = MoeFixture.arr(ff.layer.backward(dyf));
            assertTrue(MoeFixture.relDiff(dxf, dxd) < 1e-5, "dx");
            String[] names = {"keys", "values", "expert_sel"};
            for (String nm : names) {
                double[] gd = MoeFixture.arr(fd.store.get("layers.0.ffn." + nm).grad());
                double[] gf = MoeFixture.arr(ff.store.get("layers.0.ffn." + nm).grad());
                assertTrue(MoeFixture.relDiff(gf, gd) < 1e-5, "d" + nm);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(fd.layer.stats().activeChannels(), ff.layer.stats().activeChannels());
        org.junit.jupiter.api.Assertions.assertArrayEquals(fd.layer.stats().cooccurrence(), ff.layer.stats().cooccurrence());
    }
}
