package sigmoe.perf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Turns the results of one or more {@link StepBench} JVMs (one column each, e.g. OPENBLAS_CORETYPE as set and
 * unset) into target/bench/step.md. Ratios are taken within one column (one JVM, interleaved measurements), never
 * across columns, because the machine is shared.
 * Usage: StepTable OUT.md RESULT.properties...
 */
public final class StepTable {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        List<Properties> cols = new ArrayList<>();
        for (int i = 1; i < args.length; i++) cols.add(StepBench.read(Path.of(args[i])));
        Properties p0 = cols.get(0);
        StringBuilder md = new StringBuilder("# Training step: small dense vs small σ-MoE, and the sgemm rate of the same JVM\n\n");
        md.append(String.format(Locale.ROOT, "Synthetic uniform token stream, vocabulary %d; B = %s streams × T = %s tokens, XL memory %s rows "
                + "(conf/small-*.conf); FLOAT; median over interleaved steps after warm-up; %s CPUs, OMP_NUM_THREADS=%s, OPENBLAS_THREAD_TIMEOUT=%s. "
                + "Model FLOPs count matrix products only (2·m·n·k per GEMM, 3× the forward for forward + backward: "
                + "attention projections, scores, values, FFN, output layer).%n%n",
                StepBench.VOCAB, p0.get("batch"), p0.get("segment"), p0.get("mem"), p0.get("cpus"), p0.get("omp"), p0.getProperty("blasSpin", "unset")));
        StringBuilder head = new StringBuilder("| measurement |"), sep = new StringBuilder("|---|");
        for (Properties p : cols) { head.append(" OPENBLAS_CORETYPE=").append(p.get("coretype")).append(" |"); sep.append("---|"); }
        md.append(head).append('\n').append(sep).append('\n');
        row(md, cols, "sgemm [8192×412]×[412×2048] GFLOP/s (median)", "sgemm.gflops", "%.1f");
        row(md, cols, "sgemm GFLOP/s (fastest rep)", "sgemm.min.gflops", "%.1f");
        for (String k : new String[] {"dense", "moe"}) {
            String name = k.equals("moe") ? "σ-MoE" : "dense";
            row(md, cols, name + " step ms (median)", k + ".step.ms", "%.1f");
            row(md, cols, name + " tokens/s", k + ".tokens_per_s", "%.0f");
            row(md, cols, name + " model GFLOP per step", k + ".gflop_per_step", "%.2f");
            row(md, cols, name + " model GFLOP/s", k + ".gflops", "%.1f");
            row(md, cols, "**" + name + " model FLOP/s ÷ sgemm** (medians; target ≥ 0.50)", k + ".vs_sgemm", "%.3f");
            row(md, cols, name + " model FLOP/s ÷ sgemm, fastest step ÷ fastest sgemm", k + ".vs_sgemm.fastest", "%.3f");
        }
        row(md, cols, "σ-MoE step time ÷ dense step time", "moe_over_dense.time", "%.3f");
        for (String k : new String[] {"dense", "moe"})
            for (String ph : new String[] {"forward", "backward", "clip", "adam"})
                row(md, cols, (k.equals("moe") ? "σ-MoE" : "dense") + " phase " + ph + " ms", k + ".phase." + ph + ".ms", "%.2f");

        md.append(String.format(Locale.ROOT, "%n## Fast paths, before → after (interleaved in each JVM; Adam: FLOAT path in RowParallel blocks; norm: FLOAT path; Adam and the norm over %s parameters)%n%n", p0.get("kernel.params")));
        md.append(head).append('\n').append(sep).append('\n');
        for (String k : new String[] {"adam", "norm"}) {
            row(md, cols, k + " before ms (Mem loop)", "kernel." + k + ".before.ms", "%.2f");
            row(md, cols, k + " after ms (FLOAT path, row-parallel for Adam)", "kernel." + k + ".after.ms", "%.2f");
            row(md, cols, "**" + k + " speed-up**", "kernel." + k + ".speedup", "%.2f×");
        }
        md.append(String.format(Locale.ROOT, "%n## σ-MoE FFN activation memory (one layer, N = %d tokens)%n%n"
                + "| | bytes | σ-MoE ÷ dense |%n|---|---|---|%n", Long.parseLong(p0.getProperty("batch")) * Long.parseLong(p0.getProperty("segment"))));
        md.append(String.format(Locale.ROOT, "| dense FFN: H [N, d_ff] (held fwd → bwd for its own backward, as bench/moe-bench.sh counts) | %s | %.3f |%n",
                mb(p0, "mem.dense_ffn.bytes"), d(p0, "mem.moe_over_dense")));
        md.append(String.format(Locale.ROOT, "| dense FFN + its hidden dropout (mask and dropped copy, [N, d_ff] each) | %s | %.3f |%n",
                mb(p0, "mem.dense_ffn_dropout.bytes"), d(p0, "mem.moe_over_dense_dropout")));
        md.append(String.format(Locale.ROOT, "| σ-MoE FFN cachedBytes() (H [N·K, G], routing, entropy softmax) | %s | target ≤ K/N_E + 5%% = %.3f |%n",
                mb(p0, "mem.moe_ffn.bytes"), d(p0, "mem.target")));

        if (p0.getProperty("growth.steps") != null) {
            md.append(String.format(Locale.ROOT, "%n## Memory growth, tiny σ-MoE (conf/tiny-moe.conf, vocabulary %d), after step 100 and after step %s "
                    + "(%.0f s); heap after System.gc()%n%n| | after 100 steps | after %s steps | growth |%n|---|---|---|---|%n",
                    StepBench.VOCAB, p0.get("growth.steps"), d(p0, "growth.seconds"), p0.get("growth.steps")));
            String[][] g = {{"heap used", "heap"}, {"process physical bytes (JavaCPP Pointer.physicalBytes)", "physical"},
                    {"JavaCPP tracked off-heap (Pointer.totalBytes)", "javacpp_total"}};
            for (String[] x : g) {
                long a = Long.parseLong(p0.getProperty("growth." + x[1] + ".at100")), b = Long.parseLong(p0.getProperty("growth." + x[1] + ".end"));
                md.append(String.format(Locale.ROOT, "| %s | %.1f MB | %.1f MB | %+.1f MB |%n", x[0], a / 1e6, b / 1e6, (b - a) / 1e6));
            }
        }
        System.out.print(md);
        sigmoe.testutil.BenchFiles.writeAtomically(out, md);
    }

    private static void row(StringBuilder md, List<Properties> cols, String label, String key, String fmt) {
        md.append("| ").append(label).append(" |");
        for (Properties p : cols) {
            String v = p.getProperty(key);
            md.append(' ').append(v == null ? "" : String.format(Locale.ROOT, fmt, Double.parseDouble(v))).append(" |");
        }
        md.append('\n');
    }

    private static double d(Properties p, String k) { return Double.parseDouble(p.getProperty(k)); }

    private static String mb(Properties p, String k) { return String.format(Locale.ROOT, "%.2f MB", d(p, k) / 1e6); }
}
