package sigmoe.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.nn.ParamStore;

/** paper.md §3.8 reproduced exactly, and our count = the tensors of formats.md §2. */
class ParamCountTest {
    static final ModelConfig WTS_DENSE = ModelConfig.dense(8000, 412, 16, 10, 41, 2053, 0.1);
    static final ModelConfig WTS_MOE = ModelConfig.sigmaMoe(8000, 412, 16, 10, 41, 16, 128, 4, 0.1, 0, 0.001);
    static final ModelConfig WTB_DENSE = ModelConfig.dense(8000, 1024, 18, 16, 64, 4110, 0.2);
    static final ModelConfig WTB_MOE = ModelConfig.sigmaMoe(8000, 1024, 18, 16, 64, 32, 128, 4, 0.2, 0.2, 0.001);
    static final ModelConfig E8_DENSE = ModelConfig.dense(205, 512, 12, 8, 64, 2053, 0.1);
    static final ModelConfig E8_MOE = ModelConfig.sigmaMoe(205, 512, 12, 8, 64, 16, 128, 4, 0.1, 0.05, 1e-4);

    @Test
    void reproducesThePapersCounts() {
        assertEquals(47_260_136L, ParamCount.paperCode(WTS_DENSE));
        assertEquals(47_260_248L, ParamCount.paperCode(WTS_MOE));
        assertEquals(262_479_968L, ParamCount.paperCode(WTB_DENSE));
        assertEquals(262_461_284L, ParamCount.paperCode(WTB_MOE));
        assertEquals(41_234_721L, ParamCount.paperCode(E8_DENSE));
        assertEquals(41_240_805L, ParamCount.paperCode(E8_MOE));
        // WT-S*: dense d_ff 16480 vs 128 experts
        assertEquals(237_696_536L, ParamCount.paperCode(ModelConfig.dense(8000, 412, 16, 10, 41, 16480, 0.1)));
        assertEquals(237_004_376L, ParamCount.paperCode(ModelConfig.sigmaMoe(8000, 412, 16, 10, 41, 128, 128, 4, 0.1, 0.05, 0.001)));
        // per-layer FFN column of §3.8
        assertEquals(1_694_137L, ParamCount.ffnPerLayer(WTS_DENSE));
        assertEquals(1_694_144L, ParamCount.ffnPerLayer(WTS_MOE));
        assertEquals(8_422_414L, ParamCount.ffnPerLayer(WTB_DENSE));
        assertEquals(8_421_376L, ParamCount.ffnPerLayer(WTB_MOE));
        assertEquals(2_104_837L, ParamCount.ffnPerLayer(E8_DENSE));
        assertEquals(2_105_344L, ParamCount.ffnPerLayer(E8_MOE));
    }

    @Test
    void onlyVocabulary205ReproducesEnwik8() {
        // V enters as V·(2d+1) = 1025·V, so a neighbouring V misses by 1025
        for (int v = 150; v <= 260; v++) {
            boolean match = ParamCount.paperCode(E8_DENSE.withVocabSize(v)) == 41_234_721L;
            assertEquals(v == 205, match, "V=" + v);
        }
    }

    @Test
    void ourCountIsThePapersMinusTheUnusedScaleBias() {
        for (ModelConfig c : new ModelConfig[] {WTS_DENSE, WTS_MOE, WTB_DENSE, WTB_MOE, E8_DENSE, E8_MOE})
            assertEquals(ParamCount.paperCode(c) - c.nLayers(), ParamCount.model(c));
    }

    @Test
    void countEqualsTheSizeOfAStoreHoldingFormatsTensors() {
        for (ModelConfig c : new ModelConfig[] {WTS_DENSE, WTS_MOE, E8_DENSE, E8_MOE,
                ModelConfig.sigmaMoe(50, 16, 3, 2, 6, 4, 8, 2, 0, 0, 0)}) {
            ParamStore s = new ParamStore(DataType.FLOAT);
            for (Map.Entry<String, long[]> e : ParamCount.tensorShapes(c).entrySet()) s.add(e.getKey(), e.getValue());
            assertEquals(ParamCount.model(c), s.size(), c.toString());
            // embedding + per layer (12 shared + 3 MoE or 4 dense) + final norm (2) + output (2)
            int perLayer = 12 + (c.isMoe() ? 3 : 4);
            assertEquals(1 + c.nLayers() * perLayer + 4, s.params().size());
        }
    }

    @Test
    void ffnFlops() {
        assertEquals(0.25, ParamCount.ffnFlopFraction(WTS_MOE));
        assertEquals(0.125, ParamCount.ffnFlopFraction(WTB_MOE));
        assertEquals(1.0, ParamCount.ffnFlopFraction(WTS_DENSE));
        assertEquals(4L * 412 * 2053, ParamCount.ffnFlopsPerToken(WTS_DENSE));
        assertEquals(4L * 412 * 128 * 4 + 2L * 412 * 16, ParamCount.ffnFlopsPerToken(WTS_MOE));
        assertTrue(ParamCount.describe(WTS_MOE).contains("47,260,232 parameters"), ParamCount.describe(WTS_MOE));
    }
}
