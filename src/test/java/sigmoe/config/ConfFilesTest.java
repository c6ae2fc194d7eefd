package sigmoe.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import sigmoe.model.ModelConfig;
import sigmoe.model.ParamCount;

/** Every file in conf/ loads and validates; the paper configurations have the paper's sizes; README covers all. */
class ConfFilesTest {
    static List<Path> confFiles() throws IOException {
        try (Stream<Path> s = Files.walk(Path.of("conf"))) {
            return s.filter(p -> p.toString().endsWith(".conf")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyConfFileLoads() throws IOException {
        List<Path> files = confFiles();
        assertTrue(files.size() >= 14, "conf files: " + files);
        for (Path p : files) {
            RunConfig c = RunConfig.load(List.of(p.toString()), List.of());
            assertTrue(c.problems().isEmpty(), p + ": " + c.problems());
            assertEquals(c, RunConfig.parse(c.toHocon(), List.of()), p.toString());
        }
    }

    private static long paper(String conf) { return ParamCount.paperCode(RunConfig.load(conf).model()); }

    @Test
    void paperConfigurationsHaveThePapersParameterCounts() {
        assertEquals(47_260_136L, paper("wt-s-47m-dense"));
        assertEquals(47_260_248L, paper("wt-s-47m-moe"));
        assertEquals(47_260_248L, paper("wt-s-47m-moe-lowreg"));
        assertEquals(237_696_536L, paper("wt-s-star-237m-dense"));
        assertEquals(237_004_376L, paper("wt-s-star-237m-moe"));
        assertEquals(262_479_968L, paper("wt-b-262m-dense"));
        assertEquals(262_461_284L, paper("wt-b-262m-moe"));
        assertEquals(41_234_721L, paper("e8-41m-dense"));
        assertEquals(41_240_805L, paper("e8-41m-moe"));
        RunConfig wtb = RunConfig.load("wt-b-262m-moe");
        assertEquals(0.2, wtb.model().expertDropout());
        assertEquals(4000, wtb.train().warmup());
        assertEquals(0.1, RunConfig.load("wt-b-262m-moe-released").model().expertDropout());
        assertEquals(0.1, RunConfig.load("wt-s-47m-dense").train().gradClip());
        assertEquals(0.25, RunConfig.load("wt-s-47m-moe").train().gradClip());
        assertEquals(1e-4, RunConfig.load("e8-41m-moe").model().entropyReg());
        assertEquals(32, RunConfig.load("e8-41m-moe").train().batchSize());
    }

    /** Dense/σ-MoE pairs are parameter-equal: the FFNs differ by less than one dense hidden unit (2d+1 parameters). */
    @Test
    void densePairsAreParameterEqual() {
        for (String base : List.of("tiny", "small", "wt-s-47m", "e8-41m", "wt-b-262m")) {
            ModelConfig dense = RunConfig.load(base + "-dense").model().withVocabSize(100);
            ModelConfig moe = RunConfig.load(base + "-moe").model().withVocabSize(100);
            long diff = Math.abs(ParamCount.ffnPerLayer(dense) - ParamCount.ffnPerLayer(moe));
            long unit = 2L * dense.dModel() + 1;
            assertTrue(diff <= unit, base + ": FFN per layer dense " + ParamCount.ffnPerLayer(dense)
                    + " vs moe " + ParamCount.ffnPerLayer(moe));
            assertEquals(dense.dModel(), moe.dModel());
            assertEquals(dense.nLayers(), moe.nLayers());
        }
        // the small configurations are as tight as the rounding of d_ff allows
        for (String base : List.of("tiny", "small")) {
            ModelConfig dense = RunConfig.load(base + "-dense").model().withVocabSize(100);
            ModelConfig moe = RunConfig.load(base + "-moe").model().withVocabSize(100);
            assertTrue(2 * Math.abs(ParamCount.ffnPerLayer(dense) - ParamCount.ffnPerLayer(moe)) <= 2L * dense.dModel() + 1, base);
        }
    }

    /**
     * PKM rows (paper Tab. 2/6): value-count rows have the smallest n_keys with n_keys² ≥ the nominal d_ff (the σ-MoE's
     * N_E·G: 46² ≥ 2048, 64² = 4096); "#total params"
     * rows the n_keys whose whole model is nearest the dense baseline's, within 0.5% for the paper sizes.
     */
    @Test
    void pkmRowsAreMatchedToTheirDenseBaselines() {
        String[] rows = {"values-softmax", "values-relu", "params-softmax", "params-relu", "params-relu-init"};
        for (String base : List.of("wt-s-47m", "wt-b-262m", "e8-41m", "cpu")) {
            ModelConfig dense = vocab(RunConfig.load(base + "-dense").model());
            long denseCount = ParamCount.paperCode(dense);
            for (String row : rows) {
                RunConfig rc = RunConfig.load(base + "-pkm-" + row);
                ModelConfig pkm = vocab(rc.model());
                String f = base + "-pkm-" + row;
                assertEquals(sigmoe.model.FfnKind.PKM, pkm.ffn(), f);
                assertEquals(4, pkm.options().pkmHeads(), f);
                assertEquals(row.contains("softmax") ? "softmax" : "relu", pkm.options().pkmActivation(), f);
                assertEquals(row.endsWith("init") ? "dense" : "pkm", pkm.options().pkmValueInit(), f);
                assertEquals(0.25, rc.train().gradClip(), f);
                assertEquals(dense.dModel(), pkm.dModel(), f);
                assertEquals(dense.nLayers(), pkm.nLayers(), f);
                assertEquals(dense.dropout(), pkm.dropout(), f);
                int n = pkm.options().pkmKeys();
                assertEquals(n * n, pkm.dFf(), f + ": d_ff is the number of values");
                if (row.startsWith("values")) {
                    int nominal = RunConfig.load(base + "-moe").model().dFf(); // N_E·G: 2048, 4096 (cpu: 512)
                    assertTrue(n * n >= nominal && (n - 1) * (n - 1) < nominal, f + ": " + n + "² values vs d_ff " + nominal);
                } else {
                    long gap = Math.abs(ParamCount.paperCode(pkm) - denseCount);
                    for (int other : new int[] {n - 1, n + 1})
                        assertTrue(gap < Math.abs(ParamCount.paperCode(withKeys(pkm, other)) - denseCount), f + ": n_keys " + other + " is closer");
                    if (!base.equals("cpu")) assertTrue(gap < denseCount / 200, f + ": " + ParamCount.paperCode(pkm) + " vs dense " + denseCount);
                }
            }
        }
        assertEquals(47_128_408L, paper("wt-s-47m-pkm-params-relu"));
        assertEquals(263_438_180L, paper("wt-b-262m-pkm-params-relu"));
        assertEquals(41_117_925L, paper("e8-41m-pkm-params-relu-init"));
        assertEquals(35_315_544L, paper("wt-s-47m-pkm-values-relu"));
    }

    /** The cpu-* models take V from the corpus: count them with 100 ids, as the README's tiny rows. */
    private static ModelConfig vocab(ModelConfig c) { return c.vocabSize() == 0 ? c.withVocabSize(100) : c; }

    private static ModelConfig withKeys(ModelConfig c, int n) {
        sigmoe.model.FfnOptions o = c.options();
        return new ModelConfig(c.vocabSize(), c.dModel(), c.nLayers(), c.nHeads(), c.headDim(), c.ffn(), n * n, 0, 0, 0,
                c.layerNormEps(), c.dropout(), 0, 0, false, o.withPkm(n, o.pkmHeads(), o.pkmActivation(), o.pkmValueInit()));
    }

    @Test
    void readmeDocumentsEveryKeyAndFile() throws IOException {
        String readme = Files.readString(Path.of("conf/README.md"));
        for (String k : ModelSection.KEYS) assertTrue(readme.contains("`" + k + "`"), "README documents model." + k);
        for (String k : TrainSection.KEYS) assertTrue(readme.contains("`" + k + "`"), "README documents train." + k);
        for (Path p : confFiles()) assertTrue(readme.contains(Path.of("conf").relativize(p).toString()), "README lists " + p);
    }
}
