package sigmoe.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import sigmoe.model.FfnKind;
import sigmoe.model.FfnOptions;
import sigmoe.model.ModelConfig;
import sigmoe.model.ParamCount;
import sigmoe.train.TrainConfig;

/**
 * Every file in conf/ loads and validates; the paper configurations have the paper's sizes (paper.md §3.8), the Tab. 10
 * rows are complete and each is its column's σ-MoE with exactly the row's change (paper.md §2.3, §4); README covers all.
 */
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

    // ---- Tab. 3 C4 / peS2o rows (paper.md §1.6, §3.7: the WT-S / WT-B models on another corpus) ----

    @Test
    void c4AndPes2oRowsAreTheWikiTextModelsOnTheirCorpus() {
        for (String corpus : List.of("c4", "pes2o")) {
            for (String size : List.of("47m", "262m")) {
                String wt = size.equals("47m") ? "wt-s-47m" : "wt-b-262m";
                // §1.6: 47M σ-MoE δ 0, γ 0; 262M σ-MoE δ 0.1, γ 0.001
                double delta = size.equals("47m") ? 0 : 0.1, gamma = size.equals("47m") ? 0 : 0.001;
                for (String kind : List.of("dense", "moe")) {
                    String name = corpus + "-" + size + "-" + kind;
                    RunConfig c = RunConfig.load(name), w = RunConfig.load(wt + "-" + kind);
                    ModelConfig expected = kind.equals("dense") ? w.model()
                            : w.model().withDropout(w.model().dropout(), delta).withEntropyReg(gamma);
                    assertEquals(expected, c.model(), name);
                    assertEquals("data/" + corpus + "-bpe8k", c.train().data(), name);
                    assertEquals("runs/" + name, c.train().runDir(), name);
                    assertEquals(trainWithoutRunDir(w.train(), c.train().data()), trainWithoutRunDir(c.train(), c.train().data()), name);
                }
            }
            assertEquals(47_260_136L, paper(corpus + "-47m-dense"));
            assertEquals(47_260_248L, paper(corpus + "-47m-moe"));
            assertEquals(262_479_968L, paper(corpus + "-262m-dense"));
            assertEquals(262_461_284L, paper(corpus + "-262m-moe"));
            assertEquals(0.25, ParamCount.ffnFlopFraction(RunConfig.load(corpus + "-47m-moe").model()));
            assertEquals(0.125, ParamCount.ffnFlopFraction(RunConfig.load(corpus + "-262m-moe").model()));
            assertEquals(0.1, RunConfig.load(corpus + "-47m-dense").train().gradClip());   // §3.5: 47M dense clip 0.1
            assertEquals(0.25, RunConfig.load(corpus + "-262m-dense").train().gradClip());
        }
    }

    private static TrainConfig trainWithoutRunDir(TrainConfig t, String data) {
        return new TrainConfig(t.seed(), t.batchSize(), t.segmentLength(), t.memSegments(), t.steps(), t.lr(),
                t.lrSchedule(), t.warmup(), t.adamBeta1(), t.adamBeta2(), t.adamEps(), t.gradClip(), t.logInterval(),
                t.evalInterval(), t.evalBatches(), t.evalMemSegments(), t.evalBatch(), t.checkpointInterval(), data, "-",
                t.resume(), t.workers(), t.averagingFrequency(), t.averageOptimizerState(), t.roundsPerJob(),
                t.entropyRegMode(), t.master());
    }

    // ---- Tab. 10 (paper.md §4), the files named <column prefix>-<row suffix>.conf ----

    /**
     * A column: its σ-MoE file (the table's "σ-MoE (ours)" run), the nominal d_ff = N_E·G, that model's paper.md §3.8
     * parameter count, Tab. 7's "% FLOPs" K/N_E by (G, K) where Tab. 7 gives it, the S-BASE rows' δ (the sweeps',
     * paper.md §2.3 e) and the column's paper numbers in the order of {@link #ROWS} (null = "–", not run).
     */
    private record Column(String prefix, String sigmaMoe, int dFf, long sigmaMoeParams, Map<List<Integer>, Double> flopPct,
                          double sBaseDelta, String... numbers) {}

    /** Tab. 7 for N_E·G = 16·128 (WT-S, E8): 25.0 / 25.0 / 25.0 / 25.0 / 12.5 / 6.2 / 12.5 / 50.0. */
    private static final Map<List<Integer>, Double> FLOPS_16 = Map.of(List.of(128, 4), 25.0, List.of(64, 8), 25.0,
            List.of(256, 2), 25.0, List.of(512, 1), 25.0, List.of(64, 4), 12.5, List.of(128, 1), 6.2,
            List.of(128, 2), 12.5, List.of(128, 8), 50.0);

    /** Row suffix, G, K; the numbers are in {@link Column#numbers}. The first row is the column's σ-MoE file itself. */
    private record Row(String suffix, int g, int k) {}

    private static final List<Row> ROWS = List.of(new Row("moe", 128, 4), new Row("standard-dropout", 128, 4),
            new Row("softmax-renorm", 128, 4), new Row("softmax-no-renorm", 128, 4), new Row("standard-init", 128, 4),
            new Row("no-reg", 128, 4), new Row("moe-k8-g64", 64, 8), new Row("moe-k2-g256", 256, 2),
            new Row("moe-k1-g512", 512, 1), new Row("moe-2ne-g64", 64, 4), new Row("moe-k1-g128", 128, 1),
            new Row("moe-k2-g128", 128, 2), new Row("moe-k8-g128", 128, 8), new Row("switch-k1-g512", 512, 1),
            new Row("switch-k1-g512-no-dropout", 512, 1), new Row("switch-k4-g128", 128, 4),
            new Row("switch-k1-g128", 128, 1), new Row("switch-k1-g128-no-dropout", 128, 1),
            new Row("s-base-k4-g128", 128, 4), new Row("s-base-k1-g512", 512, 1));

    private static final List<Column> COLUMNS = List.of(
            new Column("wt-s-47m", "wt-s-47m-moe-lowreg", 2048, 47_260_248L, FLOPS_16, 0,
                    "11.59", "12.01", "11.89", "12.05", "11.80", "11.83", "11.63", "11.84", "11.90", "11.81", "12.26",
                    "11.90", "11.58", "12.27", "11.88", "12.05", "12.61", "12.35", "13.01", "12.32"),
            new Column("wt-s-star-237m", "wt-s-star-237m-moe", 16384, 237_004_376L, Map.of(List.of(128, 4), 3.1,
                    List.of(64, 8), 3.1, List.of(256, 2), 3.1, List.of(512, 1), 3.1, List.of(64, 4), 1.6,
                    List.of(128, 1), 0.8, List.of(128, 2), 1.6, List.of(128, 8), 6.2), 0.05,
                    "10.37", "10.27", "11.27", "10.54", "10.59", "10.41", "10.30", "10.44", "10.83", "10.53", "11.30",
                    "10.66", "10.22", "11.24", "11.10", "11.37", "11.89", "11.78", "10.96", "11.31"),
            new Column("wt-b-262m", "wt-b-262m-moe", 4096, 262_461_284L, Map.of(List.of(128, 4), 12.5,
                    List.of(512, 1), 12.5), 0.1,
                    "9.44", "9.53", "9.58", "9.62", "9.67", "9.51", "9.58", "9.56", "9.58", null, null,
                    null, null, "9.68", "9.77", null, null, null, "10.50", "9.77"),
            new Column("e8-41m", "e8-41m-moe", 2048, 41_240_805L, FLOPS_16, 0.05,
                    "1.08", "1.08", "1.09", "1.09", "1.08", "1.08", "1.08", "1.09", "1.09", "1.08", "1.09",
                    "1.09", "1.08", "1.08", "1.10", "1.10", "1.11", "1.10", "1.17", "1.32"));

    /** The column's σ-MoE with the row's change, as paper.md §2.3 and the released sweeps define the variant. */
    private static ModelConfig expectedRow(Column col, Row row, ModelConfig b) {
        String s = row.suffix();
        int nE = col.dFf() / row.g();
        FfnKind ffn = b.ffn();
        double delta = b.expertDropout(), gamma = b.entropyReg();
        boolean w2FromG = b.w2InitFromExpertSize();
        FfnOptions o = b.options();
        if (s.equals("standard-dropout")) {
            delta = 0;
            o = new FfnOptions(0, b.dropout(), false, 1.0, true, 3);   // the model's dropout inside the experts
        } else if (s.equals("softmax-renorm")) {
            ffn = FfnKind.MOE_SOFTMAX_RENORM;
            o = new FfnOptions(0, 0, true, 1.0, true, 3);               // the code's regulariser over the K slots
        } else if (s.equals("softmax-no-renorm")) {
            ffn = FfnKind.MOE_SOFTMAX;
        } else if (s.equals("standard-init")) {
            w2FromG = true;
        } else if (s.equals("no-reg")) {
            delta = 0;
            gamma = 0;
        } else if (s.startsWith("switch")) {
            // K = 4 runs without dropout in the experts in the released sweeps (kvmem.dropout unset = none)
            boolean dropout = !s.endsWith("no-dropout") && row.k() == 1;
            ffn = FfnKind.SWITCH;
            delta = 0;
            gamma = 0.01;
            w2FromG = true;
            o = new FfnOptions(0, dropout ? b.dropout() : 0, true, 0.1, false, 3);
        } else if (s.startsWith("s-base")) {
            ffn = FfnKind.S_BASE;
            delta = col.sBaseDelta();
        }
        return new ModelConfig(b.vocabSize(), b.dModel(), b.nLayers(), b.nHeads(), b.headDim(), ffn, nE * row.g(), nE,
                row.g(), row.k(), b.layerNormEps(), b.dropout(), delta, gamma, w2FromG, o);
    }

    @Test
    void table10RowsAreCompleteAndEachIsItsColumnsSigmaMoeWithTheRowsChange() throws IOException {
        List<String> checked = new ArrayList<>();
        for (Column col : COLUMNS) {
            RunConfig base = RunConfig.load(col.sigmaMoe());
            assertEquals(FfnKind.SIGMA_MOE, base.model().ffn(), col.sigmaMoe());
            for (int i = 0; i < ROWS.size(); i++) {
                Row row = ROWS.get(i);
                String number = col.numbers()[i];
                String name = i == 0 ? col.sigmaMoe() : col.prefix() + "-" + row.suffix();
                Path file = Path.of("conf", name + ".conf");
                if (number == null) {
                    assertFalse(Files.exists(file), name + ": Tab. 10 has no such run (\"–\")");
                    continue;
                }
                assertTrue(Files.exists(file), "Tab. 10 " + col.prefix() + " row " + row.suffix() + " needs " + file);
                String firstLine = Files.readAllLines(file).get(0);
                assertTrue(firstLine.startsWith("#") && firstLine.contains(number),
                        file + ": the first comment line names the paper's number " + number + ": " + firstLine);
                RunConfig c = RunConfig.load(name);
                ModelConfig m = c.model();
                assertTrue(m.isMoe(), name);
                assertEquals(col.dFf(), m.nExperts() * m.expertSize(), name + ": N_E·G is the column's d_ff");
                assertEquals(col.dFf(), m.dFf(), name);
                assertEquals(expectedRow(col, row, base.model()), m, name);
                Double pct = col.flopPct().get(List.of(row.g(), row.k()));
                if (pct != null)
                    assertEquals(pct, 100 * ParamCount.ffnFlopFraction(m), 0.05 + 1e-9, name + ": Tab. 7 % FLOPs");
                if (m.nExperts() == base.model().nExperts())   // same tensors as the σ-MoE: §3.8's count
                    assertEquals(col.sigmaMoeParams(), ParamCount.paperCode(m), name);
                if (i > 0) {
                    assertEquals("runs/" + name, c.train().runDir(), name);
                    assertEquals(trainWithoutRunDir(base.train(), base.train().data()),
                            trainWithoutRunDir(c.train(), c.train().data()), name + ": training as the column's σ-MoE");
                }
                checked.add(name);
            }
        }
        assertEquals(20 + 20 + 13 + 20, checked.size(), "Tab. 10 cells: " + checked);
    }
}
