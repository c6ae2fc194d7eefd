package sigmoe.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The five ratios of the performance issue in one table (bench/ratios.sh; not a unit test), read from the three
 * benchmarks' reports of the same run: target/bench/moe.md (σ-MoE ÷ dense FFN time, activation memory),
 * target/bench/step.md (model FLOP/s ÷ sgemm, memory growth) and target/bench/spark.md (2 vs 1 executors, share of
 * the round outside the compute). Targets 1 and 2 depend on the BLAS kernels and get a second column from a run with
 * another OPENBLAS_CORETYPE (target/bench/moe-second.md and step.md's second column); the goal is judged on the
 * first, the environment's. A missing report or number is shown as such, never guessed.
 */
public final class Ratios {
    /** One target: what was measured, the same with the second core type ("—" where kernels do not matter), the goal,
     *  and whether the first meets it (null when not measured). */
    record Row(String target, String measured, String second, String goal, Boolean met) {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/bench");
        String moe = read(dir.resolve("moe.md")), moeSecond = read(dir.resolve("moe-second.md"));
        String md = table(rows(moe, read(dir.resolve("step.md")), read(dir.resolve("spark.md")), moeSecond), coretype(moe), coretype(moeSecond));
        System.out.println(md);
        sigmoe.testutil.BenchFiles.writeAtomically(dir.resolve("ratios.md"), md);
    }

    static String read(Path p) throws java.io.IOException { return Files.exists(p) ? Files.readString(p) : ""; }

    static List<Row> rows(String moe, String step, String spark, String moeSecond) {
        List<Row> out = new ArrayList<>();
        String moeTime = "\\*\\*MoE / dense time = ([0-9.]+)\\*\\*";
        double t1 = first(moe, moeTime), t1b = first(moeSecond, moeTime);
        out.add(row("1. σ-MoE FFN ÷ dense FFN time (fwd + bwd)", f3(t1), mark(f3(t1b), t1b <= 0.30, t1b), "≤ 0.30", t1 <= 0.30, t1));
        String moeFlopLine = "\\*\\*σ-MoE model FLOP/s ÷ sgemm\\*\\*[^|]*\\| ", denseFlopLine = "\\*\\*dense model FLOP/s ÷ sgemm\\*\\*[^|]*\\| ";
        double moeFlop = first(step, moeFlopLine + "([0-9.]+)"), denseFlop = first(step, denseFlopLine + "([0-9.]+)");
        // step.md's second column counts only when it ran with the core type of moe-second.md (the column's label)
        boolean sameKernels = stepSecondCoretype(step).equals(coretype(moeSecond));
        double moeFlopB = sameKernels ? first(step, moeFlopLine + "[0-9.]+ \\| ([0-9.]+)") : Double.NaN;
        double denseFlopB = sameKernels ? first(step, denseFlopLine + "[0-9.]+ \\| ([0-9.]+)") : Double.NaN;
        out.add(row("2. model FLOP/s ÷ sgemm (small, σ-MoE / dense)", f3(moeFlop) + " / " + f3(denseFlop),
                mark(f3(moeFlopB) + " / " + f3(denseFlopB), moeFlopB >= 0.5 && denseFlopB >= 0.5, moeFlopB + denseFlopB), "≥ 0.50",
                moeFlop >= 0.5 && denseFlop >= 0.5, moeFlop + denseFlop));
        double mem = first(moe, "\\*\\*σ-MoE / dense activation memory = ([0-9.]+)\\*\\*");
        double memGoal = first(moe, "activation memory = [0-9.]+\\*\\* \\(target ≤ K/N_E \\+ 5% = ([0-9.]+)\\)");
        out.add(row("3. σ-MoE ÷ dense FFN activation memory", f3(mem), "≤ K/N_E + 5% = " + f3(memGoal), mem <= memGoal, mem + memGoal));
        double heap = first(step, "\\| heap used \\|[^|]*\\|[^|]*\\| ([-+0-9.]+) MB \\|");
        double offHeap = first(step, "\\| JavaCPP tracked off-heap[^|]*\\|[^|]*\\|[^|]*\\| ([-+0-9.]+) MB \\|");
        out.add(row("4. growth from step 100 to the last (heap / tracked off-heap)", f1(heap) + " MB / " + f1(offHeap) + " MB",
                "≤ +5 MB / ≤ +1 MB", heap <= 5 && offHeap <= 1, heap + offHeap));
        double scaling = first(spark, "scaling, 2 executors vs 1 \\(H = 10\\): \\*\\*([0-9.]+)x\\*\\*");
        out.add(row("5a. tokens/s, 2 executors ÷ 1 (tiny, H = 10)", f3(scaling), "≥ 1.85", scaling >= 1.85, scaling));
        Matcher share = Pattern.compile("\\| \\*\\*outside compute \\(share of the cycle\\)\\*\\* \\|(.*)\\|").matcher(spark);
        List<Double> shares = new ArrayList<>();
        if (share.find()) for (Matcher m = Pattern.compile("([0-9.]+)%").matcher(share.group(1)); m.find(); )
            shares.add(Double.parseDouble(m.group(1)));
        double worst = shares.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        out.add(row("5b. round time outside the compute (small, H = 10; each configuration)",
                shares.isEmpty() ? "not measured" : shares.stream().map(x -> String.format(Locale.ROOT, "%.1f%%", x)).toList().toString(),
                "≤ 5%", worst <= 5, worst));
        return out;
    }

    private static Row row(String target, String measured, String goal, boolean met, double anyNaN) {
        return row(target, measured, "—", goal, met, anyNaN);
    }

    private static Row row(String target, String measured, String second, String goal, boolean met, double anyNaN) {
        return new Row(target, Double.isNaN(anyNaN) ? "not measured" : measured, second, goal, Double.isNaN(anyNaN) ? null : met);
    }

    /** The second column's value with its own verdict, since the goal column judges only the first. */
    private static String mark(String measured, boolean met, double anyNaN) {
        return Double.isNaN(anyNaN) ? "not measured" : measured + (met ? " (met)" : " (not met)");
    }

    /** The OPENBLAS_CORETYPE a moe-bench report names in its header, or "?" for an older or missing report. */
    static String coretype(String moeReport) {
        Matcher m = Pattern.compile("OPENBLAS_CORETYPE=([A-Za-z0-9_]+)").matcher(moeReport);
        return m.find() ? m.group(1) : "?";
    }

    /** The core type step.md's second column names in its first table header, or "" without a second column. */
    static String stepSecondCoretype(String step) {
        Matcher m = Pattern.compile("\\| measurement \\| OPENBLAS_CORETYPE=[^|]* \\| OPENBLAS_CORETYPE=([A-Za-z0-9_]+) \\|").matcher(step);
        return m.find() ? m.group(1) : "";
    }

    /** The first group of the first match, or NaN. */
    static double first(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    static String table(List<Row> rows, String coretype, String secondCoretype) {
        StringBuilder b = new StringBuilder("# The five ratios (one run of moe-bench, step-bench and spark-bench)\n\n"
                + "| target | measured, OPENBLAS_CORETYPE=" + coretype + " | OPENBLAS_CORETYPE=" + secondCoretype
                + " (targets 1, 2) | goal | met |\n|---|---|---|---|---|\n");
        for (Row r : rows)
            b.append("| ").append(r.target()).append(" | ").append(r.measured()).append(" | ").append(r.second()).append(" | ")
                    .append(r.goal()).append(" | ")
                    .append(r.met() == null ? "—" : r.met() ? "yes" : "**no**").append(" |\n");
        return b.toString();
    }

    private static String f3(double v) { return String.format(Locale.ROOT, "%.3f", v); }

    private static String f1(double v) { return String.format(Locale.ROOT, "%+.1f", v); }
}
