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

    @Test
    void readmeDocumentsEveryKeyAndFile() throws IOException {
        String readme = Files.readString(Path.of("conf/README.md"));
        for (String k : ModelSection.KEYS) assertTrue(readme.contains("`" + k + "`"), "README documents model." + k);
        for (String k : TrainSection.KEYS) assertTrue(readme.contains("`" + k + "`"), "README documents train." + k);
        for (Path p : confFiles()) assertTrue(readme.contains(Path.of("conf").relativize(p).toString()), "README lists " + p);
    }
}
