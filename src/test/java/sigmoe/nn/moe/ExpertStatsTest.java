package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ExpertStatsTest {
    @Test
    void statsOfTwoHalvesMergeToStatsOfTheWhole() {
        int n = 64, d = 8, ne = 6, g = 5, k = 2;
        MoeFixture f = new MoeFixture(DataType.DOUBLE, d, ne, g, k, 0, 0, 70, 0.5);
        INDArray x = MoeFixture.randn(DataType.DOUBLE, n, d, 71, 1.0);
        f.layer.setCollectStats(true);
        f.layer.forward(x, false, null);
        ExpertStats whole = ExpertStats.fromArray(ne, g, f.layer.stats().toArray());

        f.layer.stats().clear();
        f.layer.forward(x.get(NDArrayIndex.interval(0, 20), NDArrayIndex.all()), false, null);
        double[] a = f.layer.stats().toArray();
        f.layer.stats().clear();
        f.layer.forward(x.get(NDArrayIndex.interval(20, n), NDArrayIndex.all()), false, null);
        ExpertStats second = ExpertStats.fromArray(ne, g, f.layer.stats().toArray());
        ExpertStats merged = ExpertStats.fromArray(ne, g, a).merge(second);

        assertEquals(whole.tokens(), merged.tokens());
        assertArrayEquals(whole.selections(), merged.selections());
        assertArrayEquals(whole.activeChannels(), merged.activeChannels());
        assertArrayEquals(whole.cooccurrence(), merged.cooccurrence());
        assertArrayEquals(whole.gateSum(), merged.gateSum(), 1e-12);
        assertEquals(whole.summary(), merged.summary());

        // the Spark path: element-wise sums of the flat arrays
        double[] b = second.toArray();
        for (int i = 0; i < a.length; i++) a[i] += b[i];
        assertArrayEquals(merged.toArray(), ExpertStats.fromArray(ne, g, a).toArray(), 1e-12);
        assertEquals(n * k, java.util.Arrays.stream(whole.selections()).sum());
    }

    @Test
    void collectionOffAccumulatesNothing() {
        MoeFixture f = new MoeFixture(DataType.DOUBLE, 4, 3, 2, 1, 0, 0, 72, 0.5);
        f.layer.forward(MoeFixture.randn(DataType.DOUBLE, 5, 4, 73, 1), true, null);
        assertEquals(0, f.layer.stats().tokens());
    }

    @Test
    void summaryFromHandMadeCounts() {
        int ne = 4, g = 2;
        double[] a = new double[ExpertStats.flatLength(ne, g)];
        a[0] = 4;                              // tokens, K = 2
        a[1] = 4; a[2] = 4;                   // selections: experts 0, 1 only
        a[5] = 2.0; a[6] = 1.0;               // gate sums
        a[9] = 4; a[10] = 0; a[11] = 2; a[12] = 2; // active channels of experts 0 and 1
        ExpertStats s = ExpertStats.fromArray(ne, g, a);
        ExpertStats.Summary sum = s.summary();
        assertEquals(8, sum.selections());
        assertEquals(0.5, sum.usageRelPerplexity(), 1e-12, "exp(ln 2)/4");
        assertEquals(0.5, sum.deadFraction());
        assertEquals(0.0, sum.minLoad());
        assertEquals(0.5, sum.maxLoad());
        assertEquals(3.0 / 8, sum.meanGate(), 1e-12);
        assertEquals(8.0 / 16, sum.reluPassRate(), 1e-12);
        assertEquals((0.5 + 1 + 0 + 0) / 4, sum.channelUsageMean(), 1e-12);
        assertEquals(0.0, sum.channelUsageMin());
        assertEquals(1.0, sum.channelUsageMax());
        assertThrows(IllegalArgumentException.class, () -> ExpertStats.fromArray(ne, g, new double[3]));
        assertThrows(IllegalArgumentException.class, () -> s.merge(new ExpertStats(ne, g + 1)));
    }
}
