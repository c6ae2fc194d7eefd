package sigmoe.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The five-ratio table reads the benchmarks' own lines, judges each against its goal, and never invents a number. */
class RatiosTest {
    static final String MOE = "tokens N = 8192 ... warm-up; OPENBLAS_CORETYPE=Haswell, OMP_NUM_THREADS=2, ...\n"
            + "**MoE / dense time = 0.366** (ratio of medians; ...)\n"
            + "**σ-MoE / dense activation memory = 0.281** (target ≤ K/N_E + 5% = 0.300). Counting ...\n";
    static final String MOE_SECOND = "tokens N = 8192 ... warm-up; OPENBLAS_CORETYPE=SkylakeX, OMP_NUM_THREADS=2, ...\n"
            + "**MoE / dense time = 0.503** (ratio of medians; ...)\n";
    static final String STEP = "| measurement | OPENBLAS_CORETYPE=Haswell | OPENBLAS_CORETYPE=SkylakeX |\n"
            + "| **dense model FLOP/s ÷ sgemm** (medians; target ≥ 0.50) | 0.609 | 0.455 |\n"
            + "| **σ-MoE model FLOP/s ÷ sgemm** (medians; target ≥ 0.50) | 0.491 | 0.512 |\n"
            + "| heap used | 42.2 MB | 28.3 MB | -13.9 MB |\n"
            + "| JavaCPP tracked off-heap (Pointer.totalBytes) | 1.1 MB | 2.6 MB | +1.5 MB |\n";
    static final String SPARK = "| **outside compute (share of the cycle)** | **4.8%** | **2.8%** |\n"
            + "scaling, 2 executors vs 1 (H = 10): **1.44x** tokens/s\n";

    @Test
    void eachTargetIsReadFromItsBenchmarkAndJudged() {
        List<Ratios.Row> r = Ratios.rows(MOE, STEP, SPARK, MOE_SECOND);
        assertEquals(List.of("0.366", "0.491 / 0.609", "0.281", "-13.9 MB / +1.5 MB", "1.440", "[4.8%, 2.8%]"),
                r.stream().map(Ratios.Row::measured).toList());
        assertEquals(List.of(false, false, true, false, false, true), r.stream().map(Ratios.Row::met).toList());
        assertEquals("≤ K/N_E + 5% = 0.300", r.get(2).goal());
    }

    @Test
    void kernelDependentTargetsGetTheSecondCoretypeJudgedOnItsOwn() {
        List<Ratios.Row> r = Ratios.rows(MOE, STEP, SPARK, MOE_SECOND);
        assertEquals(List.of("0.503 (not met)", "0.512 / 0.455 (not met)", "—", "—", "—", "—"),
                r.stream().map(Ratios.Row::second).toList());
        String table = Ratios.table(r, Ratios.coretype(MOE), Ratios.coretype(MOE_SECOND));
        assertTrue(table.contains("OPENBLAS_CORETYPE=Haswell |") && table.contains("OPENBLAS_CORETYPE=SkylakeX (targets 1, 2)"), table);
        // a run without the second column (or a report from before it) says so instead of repeating the first
        List<Ratios.Row> one = Ratios.rows(MOE, STEP.replace(" | 0.455 |", " |").replace(" | 0.512 |", " |"), SPARK, "");
        assertEquals(List.of("not measured", "not measured"), one.stream().limit(2).map(Ratios.Row::second).toList());
        assertEquals("?", Ratios.coretype(""));
        // a step.md whose second column ran other kernels than moe-second.md is not put under that label
        List<Ratios.Row> other = Ratios.rows(MOE, STEP.replace("CORETYPE=SkylakeX |", "CORETYPE=unset |"), SPARK, MOE_SECOND);
        assertEquals(List.of("0.503 (not met)", "not measured"), other.stream().limit(2).map(Ratios.Row::second).toList());
    }

    @Test
    void aMissingReportIsNotMeasuredNotMet() {
        List<Ratios.Row> r = Ratios.rows(MOE, "", "", "");
        assertEquals(true, r.get(0).met() != null && !r.get(0).met());
        for (int i = 1; i < r.size(); i++) {
            if (i == 2) continue; // from moe.md
            assertEquals("not measured", r.get(i).measured(), r.get(i).target());
            assertEquals(null, r.get(i).met());
        }
        assertTrue(Ratios.table(r, "Haswell", "?").contains("| — |"));
    }
}
