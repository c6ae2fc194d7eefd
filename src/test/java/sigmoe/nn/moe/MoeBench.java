package sigmoe.nn.moe;

import sigmoe.nn.RowParallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;
import sigmoe.nn.ParamStore;
import sigmoe.nn.Rng;

/**
 * σ-MoE FFN forward+backward against the parameter-equal bias-free dense FFN (WT-S: d = 412, N_E = 16, G = 128,
 * K = 4 vs d_ff = 2048), FLOAT, plus the machine's sgemm rate on [N×412]×[412×2048] in the same JVM, the MoE's
 * per-phase profile and the activation memory of both. Prints a markdown table and writes it to the output file.
 * Usage: MoeBench [tokens=8192] [reps=25] [out=target/bench/moe.md]
 */
public final class MoeBench {
    static final int D = 412, NE = 16, G = 128, K = 4, DFF = NE * G;

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        Path out = Path.of(args.length > 2 ? args[2] : "target/bench/moe.md");
        int warmup = 3;
        DataType f32 = DataType.FLOAT;
        INDArray x = GradCheck.randn(Nd4j.create(f32, n, D), 1, 1.0);
        INDArray dy = GradCheck.randn(Nd4j.create(f32, n, D), 2, 1.0 / n);

        INDArray b = GradCheck.randn(Nd4j.create(f32, D, DFF), 3, 0.02), c = Nd4j.create(f32, n, DFF);
        Runnable sgemm = () -> Nd4j.gemm(x, b, c, false, false, 1.0, 0.0);
        DenseFfn dense = new DenseFfn(n);
        Runnable denseStep = () -> { dense.forward(x); dense.backward(dy); };
        // σ-MoE FFN (WT-S: γ = 0.001, δ = 0)
        ParamStore store = new ParamStore(f32);
        SigmaMoeFfn moe = new SigmaMoeFfn(store, "layers.0.ffn", D, NE, G, K, 0.0, 0.001);
        store.allocate();
        moe.initialise(new Rng(7), 16, false);
        Rng rng = new Rng(8);
        Runnable moeStep = () -> { moe.forward(x, true, rng); moe.backward(dy); };

        // interleaved reps: a load spike on a shared machine hits all three alike, and the per-rep ratios stay fair
        for (int i = 0; i < warmup; i++) { sgemm.run(); denseStep.run(); moeStep.run(); }
        double[] sgemmT = new double[reps], denseT = new double[reps], moeT = new double[reps], ratio = new double[reps];
        for (int i = 0; i < reps; i++) {
            sgemmT[i] = time(sgemm);
            denseT[i] = time(denseStep);
            moeT[i] = time(moeStep);
            ratio[i] = moeT[i] / denseT[i];
        }
        double sgemmMs = median(sgemmT), denseMs = median(denseT), moeMs = median(moeT);
        double sgemmGflops = 2.0 * n * D * DFF / (sgemmMs * 1e6);
        double denseFlops = 12.0 * n * D * DFF;
        double moeFlops = 12.0 * n * K * D * G + 6.0 * n * D * NE;
        // the profile runs separately, so the timings above carry no probes
        MoeProfile prof = new MoeProfile();
        moe.profile = prof;
        int phases = MoeProfile.Phase.values().length;
        double[][] phaseMs = new double[phases][reps];
        for (int i = 0; i < reps; i++) {
            prof.clear();
            moeStep.run();
            for (MoeProfile.Phase p : MoeProfile.Phase.values()) phaseMs[p.ordinal()][i] = prof.nanos(p) / 1e6;
        }
        moe.profile = null;
        moe.setCollectStats(true);
        moe.forward(x, false, null);
        ExpertStats.Summary usage = moe.stats().summary();

        StringBuilder md = new StringBuilder();
        md.append("# σ-MoE FFN vs parameter-equal dense FFN (forward + backward, FLOAT)\n\n");
        md.append(String.format(Locale.ROOT, "tokens N = %d, d = %d; σ-MoE N_E = %d, G = %d, K = %d (γ = 0.001, δ = 0); dense d_ff = %d, "
                + "no biases. Median of %d interleaved reps after %d warm-up; OPENBLAS_CORETYPE=%s, OMP_NUM_THREADS=%s, OPENBLAS_THREAD_TIMEOUT=%s, %d CPUs.%n%n",
                n, D, NE, G, K, DFF, reps, warmup, System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset"), System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"), System.getenv().getOrDefault("OPENBLAS_THREAD_TIMEOUT", "unset"),
                Runtime.getRuntime().availableProcessors()));
        md.append("| measurement | time (ms) | GFLOP/s | vs sgemm | vs dense time |\n|---|---|---|---|---|\n");
        md.append(row("sgemm [" + n + "×412]×[412×2048]", sgemmMs, sgemmGflops, 1.0, Double.NaN));
        md.append(row("dense FFN fwd+bwd (12·N·d·d_ff FLOP)", denseMs, denseFlops / (denseMs * 1e6),
                denseFlops / (denseMs * 1e6) / sgemmGflops, 1.0));
        md.append(row("σ-MoE FFN fwd+bwd (12·N·K·d·G + router)", moeMs, moeFlops / (moeMs * 1e6),
                moeFlops / (moeMs * 1e6) / sgemmGflops, moeMs / denseMs));
        md.append(String.format(Locale.ROOT, "%n**MoE / dense time = %.3f** (ratio of medians; median of per-rep ratios %.3f; "
                + "ratio of the fastest reps %.3f; target ≤ 0.30; FLOP ratio %.3f). Fastest reps: sgemm %.1f ms (%.1f GFLOP/s), "
                + "dense %.1f ms (%.1f GFLOP/s), σ-MoE %.1f ms (%.1f GFLOP/s).%n%nPer-rep ms — sgemm: %s; dense: %s; σ-MoE: %s%n",
                moeMs / denseMs, median(ratio), min(moeT) / min(denseT), moeFlops / denseFlops,
                min(sgemmT), 2.0 * n * D * DFF / (min(sgemmT) * 1e6), min(denseT), denseFlops / (min(denseT) * 1e6),
                min(moeT), moeFlops / (min(moeT) * 1e6), fmt(sgemmT), fmt(denseT), fmt(moeT)));
        md.append(String.format(Locale.ROOT, "%nRouting at init: usage relative perplexity %.3f, min/max load %.3f/%.3f "
                + "(uniform %.4f).%n", usage.usageRelPerplexity(), usage.minLoad(), usage.maxLoad(), 1.0 / NE));

        md.append("\n## σ-MoE profile (per fwd+bwd over " + reps + " probed reps; the fastest rep of each phase is the "
                + "least disturbed by other load)\n\nWall time of the layer's phases:\n\n| phase | median ms | fastest ms | share of fastest |\n|---|---|---|---|\n");
        double[] phaseMed = new double[phases], phaseMin = new double[phases];
        for (int p = 0; p < phases; p++) { phaseMed[p] = median(phaseMs[p]); phaseMin[p] = min(phaseMs[p]); }
        double total = 0, totalMin = 0;
        for (MoeProfile.Phase p : MoeProfile.Phase.values())
            if (!p.worker) { total += phaseMed[p.ordinal()]; totalMin += phaseMin[p.ordinal()]; }
        for (MoeProfile.Phase p : MoeProfile.Phase.values()) {
            int i = p.ordinal();
            if (p.worker || phaseMed[i] == 0) continue;
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.1f%% |%n", p.label, phaseMed[i], phaseMin[i],
                    100.0 * phaseMin[i] / totalMin));
        }
        md.append(String.format(Locale.ROOT, "| **sum** | %.2f | %.2f | |%n", total, totalMin));
        md.append("\nInside the expert loops, busy time summed over the expert workers (each GEMM on one BLAS thread):\n\n"
                + "| phase | median ms | fastest ms |\n|---|---|---|\n");
        for (MoeProfile.Phase p : MoeProfile.Phase.values())
            if (p.worker) md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f |%n", p.label, phaseMed[p.ordinal()], phaseMin[p.ordinal()]));

        int blas = Nd4j.factory().blas().getMaxThreads();
        md.append(String.format(Locale.ROOT, "%n## Expert GEMMs in isolation (%d experts × %d rows on row ranges of contiguous buffers, fastest of %d "
                + "interleaved rounds; GFLOP/s and, in brackets, ÷ the sgemm rate above)%n%n| GEMM | in turn, %d BLAS thr: ms | GFLOP/s | in turn, "
                + "1 BLAS thr: ms | GFLOP/s | as the layer, %d workers × 1 BLAS thr: ms | GFLOP/s |%n|---|---|---|---|---|---|---|%n",
                NE, n * K / NE, reps, blas, RowParallel.threads()));
        String[] gemms = ExpertGemmBench.table(n, reps, sgemmGflops, denseStep);
        for (int i = 0; i < 7; i++) md.append(gemms[i]).append('\n');
        double gemmFloor = Double.parseDouble(gemms[7]), denseFast = Double.parseDouble(gemms[8]);
        md.append(String.format(Locale.ROOT, "%nThe expert GEMMs alone, in isolation as the layer runs them, take %.1f ms against %.1f ms for the "
                + "dense FFN's forward + backward in the same rounds (fastest of each): **%.3f**, a floor for the σ-MoE ÷ dense ratio "
                + "before any gather, routing or combine.%n", gemmFloor, denseFast, gemmFloor / denseFast));

        long dAct = dense.cachedBytes(), mAct = moe.cachedBytes(), yBytes = 4L * n * D;
        md.append("\n## Activation memory\n\nRule, the same for both layers: **activation memory = the bytes a layer holds from its forward "
                + "until its backward, for its own backward**. Not counted for either: the input x (the caller's tensor, which both "
                + "only reference; in the model it is the LayerNorm output), the output y and the input gradient dx ([N, d] each, "
                + "the same for every FFN, handed to the caller), and scratch (dead between forward and backward; the σ-MoE's is "
                + "shareable by all its layers).\n\n| layer | activation memory | output y + input gradient dx | scratch |\n|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| dense FFN | %s (H [N, d_ff]) | %s | %s (dH [N, d_ff]) |%n",
                mb(dAct), mb(dense.outputBytes()), mb(dense.scratchBytes())));
        md.append(String.format(Locale.ROOT, "| σ-MoE FFN | %s (H [N·K, G], routing, entropy softmax [N, N_E]) | %s | %s (dispatch [N·K, d]; "
                + "per worker X_e, dY_e [n_e, d], U_e, dU_e [n_e, G] for the largest bucket n_e; z, dz [N, N_E]) |%n",
                mb(mAct), mb(moe.outputBytes()), mb(moe.workspace().bytes())));
        md.append(String.format(Locale.ROOT, "%n**σ-MoE / dense activation memory = %.3f** (target ≤ K/N_E + 5%% = %.3f). Counting the "
                + "output y [N, d] in both as well (what a forward's allocation delta sees, paper.md §4 \"Resource measurements\"): %.3f.%n",
                (double) mAct / dAct, (double) K / NE + 0.05, (double) (mAct + yBytes) / (dAct + yBytes)));

        System.out.print(md);
        sigmoe.testutil.BenchFiles.writeAtomically(out, md);
    }

    /** y = ReLU(x W1ᵀ) W2ᵀ without biases, PyTorch layouts w1 [d_ff, d], w2 [d, d_ff] (the dense block's GEMMs). */
    static final class DenseFfn {
        final INDArray w1, w2, gw1, gw2, h, dh, y, dx;
        final double[] ones;
        INDArray x;

        DenseFfn(int n) {
            DataType f = DataType.FLOAT;
            w1 = GradCheck.randn(Nd4j.create(f, DFF, D), 4, 0.017);
            w2 = GradCheck.randn(Nd4j.create(f, D, DFF), 5, 0.0078);
            gw1 = Nd4j.create(f, DFF, D);
            gw2 = Nd4j.create(f, D, DFF);
            h = Nd4j.create(f, n, DFF);
            dh = Nd4j.create(f, n, DFF);
            y = Nd4j.create(f, n, D);
            dx = Nd4j.create(f, n, D);
            ones = new double[n];
            Arrays.fill(ones, 1.0);
        }

        INDArray forward(INDArray x) {
            this.x = x;
            Nd4j.gemm(x, w1, h, false, true, 1.0, 0.0);
            RowOps.reluGate(h, null, null, 0, (int) h.size(0), DFF);
            Nd4j.gemm(h, w2, y, false, true, 1.0, 0.0);
            return y;
        }

        INDArray backward(INDArray dy) {
            Nd4j.gemm(dy, h, gw2, true, false, 1.0, 1.0);  // dW2 += dyᵀ H
            Nd4j.gemm(dy, w2, dh, false, false, 1.0, 0.0); // dH = dy W2
            RowOps.gateBackward(dh, h, ones, null, 0, (int) h.size(0), DFF); // dA = dH ⊙ 1[H > 0]
            Nd4j.gemm(dh, x, gw1, true, false, 1.0, 1.0);  // dW1 += dAᵀ x
            Nd4j.gemm(dh, w1, dx, false, false, 1.0, 0.0); // dx = dA W1
            return dx;
        }

        /** Held from forward to backward for its own backward: H (x is the caller's). */
        long cachedBytes() { return 4L * h.length(); }

        long outputBytes() { return 4L * (y.length() + dx.length()); }

        long scratchBytes() { return 4L * dh.length(); }
    }

    static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    static double min(double[] t) { return Arrays.stream(t).min().orElse(Double.NaN); }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String row(String what, double ms, double gflops, double vsSgemm, double vsDense) {
        return String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.2f | %s |%n", what, ms, gflops, vsSgemm,
                Double.isNaN(vsDense) ? "" : String.format(Locale.ROOT, "%.3f", vsDense));
    }

    private static String fmt(double[] t) {
        StringBuilder s = new StringBuilder();
        for (double v : t) s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v));
        return s.toString();
    }

    private static String mb(long bytes) { return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6); }
}
