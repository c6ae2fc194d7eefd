package sigmoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import sigmoe.config.RunConfig;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Param;
import sigmoe.nn.Rng;

/** The baselines as configuration values: model building, [B, T] plumbing, checkpoint metadata, conf files. */
class FfnVariantsModelTest {
    static final int B = 2, T = 4, V = 11;

    static ModelConfig cfg(FfnKind k) {
        FfnOptions o = new FfnOptions(k == FfnKind.DENSE_TOPK ? 5 : 0, 0.0, true, 1.0, true, 3);
        if (k.moe) return ModelConfig.sigmaMoe(V, 8, 2, 2, 3, 4, 3, 2, 0.0, 0.0, 0.3).withOptions(o);
        if (k == FfnKind.PKM) return new ModelConfig(V, 8, 2, 2, 3, k, 9, 0, 0, 0, 1e-5, 0.0, 0, 0, false, o.withPkm(3, 2, "softmax", "dense"));
        return new ModelConfig(V, 8, 2, 2, 3, k, 12, 0, 0, 0, 1e-5, 0.0, 0, 0, false, o);
    }

    static ModelConfig withKind(ModelConfig c, FfnKind k) {
        return new ModelConfig(c.vocabSize(), c.dModel(), c.nLayers(), c.nHeads(), c.headDim(), k, c.dFf(), c.nExperts(),
                c.expertSize(), c.topK(), c.layerNormEps(), c.dropout(), c.expertDropout(), c.entropyReg(),
                c.w2InitFromExpertSize(), c.options());
    }

    static int[] ids(long seed) {
        Rng r = new Rng(seed);
        int[] a = new int[B * T];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(V);
        return a;
    }

    @ParameterizedTest
    @EnumSource(FfnKind.class)
    void everyKindTrainsAStepAndRoundTripsItsCheckpointConfig(FfnKind k) throws Exception {
        ModelConfig c = k.moe ? withKind(cfg(k), k) : cfg(k);
        TransformerXL m = new TransformerXL(c, DataType.DOUBLE);
        m.initialise(3);
        TransformerXL.Loss l = m.forward(ids(1), ids(2), B, T, T, true, new Rng(4));
        assertTrue(Double.isFinite(l.meanCe()) && Double.isFinite(l.reg()), k.id);
        if (k.moe) assertTrue(l.reg() != 0, k.id + ": the balancing loss is active");
        m.backward(1.0 / l.count());
        m.forward(ids(5), ids(6), B, T, 2 * T, false, null); // eval path
        ModelConfig back = CheckpointConfig.fromJson(CheckpointConfig.toJson(c), "test");
        assertEquals(c, back, k.id);
        assertEquals(ParamCount.model(c), m.params.params().stream().mapToLong(p -> p.value().length()).sum(), k.id + " parameter count");
    }

    @Test
    void sBaseGradientsMatchFiniteDifferencesThroughTheModel() {
        ModelConfig c = withKind(cfg(FfnKind.S_BASE), FfnKind.S_BASE);
        TransformerXL m = new TransformerXL(c, DataType.DOUBLE);
        m.initialise(7);
        int[] in = ids(3), tg = ids(4);
        java.util.function.DoubleSupplier loss = () -> {
            m.resetMemory();
            TransformerXL.Loss l = m.forward(in, tg, B, T, T, true, new Rng(9));
            return l.meanCe() + l.reg();
        };
        m.params.zeroGrads();
        loss.getAsDouble();
        m.resetMemory();
        TransformerXL.Loss l = m.forward(in, tg, B, T, T, true, new Rng(9));
        m.backward(1.0 / l.count());
        for (Param p : m.params.params()) {
            if (!p.name.contains("ffn")) continue;
            GradCheck.check(p.name, p.value(), p.grad(), loss, 12, 1e-5, 1e-4);
        }
    }

    @Test
    void defaultOptionsKeepTheOldCheckpointMetadata() throws Exception {
        String json = CheckpointConfig.toJson(ModelConfig.sigmaMoe(V, 8, 2, 2, 3, 4, 3, 2, 0.1, 0.0, 0.3));
        for (String key : FfnOptions.KEYS) assertFalse(json.contains(key), key);
        ModelConfig switchCfg = withKind(cfg(FfnKind.SWITCH), FfnKind.SWITCH);
        assertTrue(CheckpointConfig.toJson(switchCfg).contains("\"moe_reg_as_code\":true"));
    }

    @Test
    void confFilesSelectTheVariants() {
        RunConfig sw = RunConfig.load("wt-s-47m-switch-k1-g512");
        assertEquals(FfnKind.SWITCH, sw.model().ffn());
        assertEquals(new FfnOptions(0, 0.1, true, 0.1, false, 3), sw.model().options());
        assertTrue(sw.model().w2InitFromExpertSize());
        long moe = ParamCount.paperCode(RunConfig.load("wt-s-47m-moe").model());
        for (String f : List.of("wt-s-47m-switch-k1-g512", "wt-s-47m-s-base-k1-g512", "wt-s-47m-moe-k8-g64", "wt-s-47m-softmax-renorm"))
            // N_E/4 experts have a 4× smaller W3: Switch/K=1 rows are 0.17% lighter (the paper calls them equal)
            assertTrue(Math.abs(ParamCount.paperCode(RunConfig.load(f).model()) - moe) < moe / 400, f + " is parameter-equal");
        ModelConfig topk = RunConfig.load("wt-s-47m-dense-topk128").model();
        assertEquals(FfnKind.DENSE_TOPK, topk.ffn());
        assertEquals(128, topk.options().topkActivation());
        assertEquals(2053, topk.dFf());
        assertEquals(0.25, ParamCount.ffnFlopFraction(RunConfig.load("tiny-moe").model()));
        Exception e = assertThrows(RuntimeException.class, () -> RunConfig.load(List.of("tiny-dense"), List.of("model.ffn=dense_topk")));
        assertTrue(e.getMessage().contains("topk_activation"), e.getMessage());
    }
}
