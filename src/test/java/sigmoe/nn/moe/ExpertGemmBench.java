package sigmoe.nn.moe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;

/**
 * Micro-benchmark of the σ-MoE's six per-expert GEMMs at the WT-S shape (N_E = 16 experts × n_e = N·K/N_E rows,
 * d = 412, G = 128), all experts on row ranges of one contiguous buffer, in the variants a layer could choose:
 * the hidden units stored [n_e, G] (rows) or [G, n_e] (transposed, so OpenBLAS sees the other operand order),
 * 2 BLAS threads per GEMM, 1 BLAS thread per GEMM, or two experts at a time on two Java threads with 1 BLAS thread
 * each; plus the dense FFN's sgemm at 2 and 1 BLAS threads for the per-core rate. Variants run interleaved round by
 * round (the machine is shared); prints median and fastest ms of all 16 experts per GEMM and the GFLOP/s.
 * Usage: ExpertGemmBench [tokens=8192] [rounds=9]
 */
public final class ExpertGemmBench {
    static final int D = 412, NE = 16, G = 128, K = 4;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        int rows = n * K, ne = rows / NE;
        DataType f = DataType.FLOAT;
        INDArray x = GradCheck.randn(Nd4j.create(f, rows, D), 1, 1), dy = GradCheck.randn(Nd4j.create(f, rows, D), 2, 1);
        INDArray y = Nd4j.create(f, rows, D);
        INDArray h = GradCheck.randn(Nd4j.create(f, rows, G), 3, 1), dh = GradCheck.randn(Nd4j.create(f, rows, G), 4, 1);
        INDArray w1 = GradCheck.randn(Nd4j.create(f, NE * D, G), 5, 0.02), w2 = GradCheck.randn(Nd4j.create(f, NE * G, D), 6, 0.02);
        INDArray g1 = Nd4j.create(f, NE * D, G), g2 = Nd4j.create(f, NE * G, D);
        INDArray bigA = GradCheck.randn(Nd4j.create(f, n, D), 7, 1), bigB = GradCheck.randn(Nd4j.create(f, D, NE * G), 8, 1);
        INDArray bigC = Nd4j.create(f, n, NE * G);

        // per expert: row views ([n_e, ·]) and transposed hidden views ([G, n_e] in the same storage)
        INDArray[] xe = new INDArray[NE], dye = new INDArray[NE], ye = new INDArray[NE], he = new INDArray[NE], dhe = new INDArray[NE];
        INDArray[] heT = new INDArray[NE], dheT = new INDArray[NE], w1e = new INDArray[NE], w2e = new INDArray[NE], g1e = new INDArray[NE], g2e = new INDArray[NE];
        for (int e = 0; e < NE; e++) {
            xe[e] = MoeWorkspace.rows(x, e * ne, (e + 1) * ne);
            dye[e] = MoeWorkspace.rows(dy, e * ne, (e + 1) * ne);
            ye[e] = MoeWorkspace.rows(y, e * ne, (e + 1) * ne);
            he[e] = MoeWorkspace.rows(h, e * ne, (e + 1) * ne);
            dhe[e] = MoeWorkspace.rows(dh, e * ne, (e + 1) * ne);
            heT[e] = view(h, (long) e * ne * G, G, ne);
            dheT[e] = view(dh, (long) e * ne * G, G, ne);
            w1e[e] = MoeWorkspace.rows(w1, e * D, (e + 1) * D);
            w2e[e] = MoeWorkspace.rows(w2, e * G, (e + 1) * G);
            g1e[e] = MoeWorkspace.rows(g1, e * D, (e + 1) * D);
            g2e[e] = MoeWorkspace.rows(g2, e * G, (e + 1) * G);
        }
        interface Op { void run(int e); }
        String[] names = {"fwd H = X·W1", "fwd Y = U·W2", "bwd dW2 += Uᵀ·dY", "bwd dU = dY·W2ᵀ", "bwd dW1 += Xᵀ·dA", "bwd dX = dA·W1ᵀ"};
        Op[] rowsOps = {
                e -> Nd4j.gemm(xe[e], w1e[e], he[e], false, false, 1, 0),
                e -> Nd4j.gemm(he[e], w2e[e], ye[e], false, false, 1, 0),
                e -> Nd4j.gemm(he[e], dye[e], g2e[e], true, false, 1, 1),
                e -> Nd4j.gemm(dye[e], w2e[e], dhe[e], false, true, 1, 0),
                e -> Nd4j.gemm(xe[e], dhe[e], g1e[e], true, false, 1, 1),
                e -> Nd4j.gemm(dhe[e], w1e[e], ye[e], false, true, 1, 0)};
        Op[] transOps = {
                e -> Nd4j.gemm(w1e[e], xe[e], heT[e], true, true, 1, 0),   // Hᵀ = W1ᵀ Xᵀ
                e -> Nd4j.gemm(heT[e], w2e[e], ye[e], true, false, 1, 0),  // Y = (Hᵀ)ᵀ W2
                e -> Nd4j.gemm(heT[e], dye[e], g2e[e], false, false, 1, 1), // dW2 += Hᵀ dY
                e -> Nd4j.gemm(w2e[e], dye[e], dheT[e], false, true, 1, 0), // dUᵀ = W2 dYᵀ
                e -> Nd4j.gemm(xe[e], dheT[e], g1e[e], true, true, 1, 1),  // dW1 += Xᵀ (dAᵀ)ᵀ
                e -> Nd4j.gemm(dheT[e], w1e[e], ye[e], true, true, 1, 0)}; // dX = (dAᵀ)ᵀ W1ᵀ
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        ExecutorService pool = Executors.newFixedThreadPool(2);

        List<String> labels = new ArrayList<>();
        List<Runnable> cases = new ArrayList<>();
        List<Double> flops = new ArrayList<>();
        double expertFlop = 2.0 * ne * D * G * NE;
        String[] famName = {"H rows [n_e,G]", "H transposed [G,n_e]"};
        Op[][] fams = {rowsOps, transOps};
        for (int fi = 0; fi < 2; fi++)
            for (int o = 0; o < 6; o++) {
                Op op = fams[fi][o];
                labels.add(names[o] + ", " + famName[fi] + ", " + blasThreads + " BLAS thr");
                cases.add(() -> { for (int e = 0; e < NE; e++) op.run(e); });
                flops.add(expertFlop);
                labels.add(names[o] + ", " + famName[fi] + ", 1 BLAS thr");
                cases.add(single(() -> { for (int e = 0; e < NE; e++) op.run(e); }, blasThreads));
                flops.add(expertFlop);
                labels.add(names[o] + ", " + famName[fi] + ", 2 Java thr × 1 BLAS thr");
                cases.add(single(() -> twoThreads(pool, op::run), blasThreads));
                flops.add(expertFlop);
            }
        labels.add("dense sgemm [" + n + "×412]×[412×2048], " + blasThreads + " BLAS thr");
        cases.add(() -> Nd4j.gemm(bigA, bigB, bigC, false, false, 1, 0));
        flops.add(2.0 * n * D * NE * G);
        labels.add("dense sgemm [" + n + "×412]×[412×2048], 1 BLAS thr");
        cases.add(single(() -> Nd4j.gemm(bigA, bigB, bigC, false, false, 1, 0), blasThreads));
        flops.add(2.0 * n * D * NE * G);

        // do 1 and 2 BLAS threads give the same bits? (the expert-parallel layer relies on it for determinism)
        for (int o = 0; o < 6; o++) {
            INDArray out = o == 0 ? h : o == 1 || o == 5 ? y : o == 2 ? g2 : o == 3 ? dh : g1;
            INDArray save = o == 0 ? null : h.dup(), saveDh = dh.dup();
            g1.assign(0); g2.assign(0);
            for (int e = 0; e < NE; e++) rowsOps[o].run(e);
            INDArray two = out.dup();
            g1.assign(0); g2.assign(0);
            Op op = rowsOps[o];
            single(() -> { for (int e = 0; e < NE; e++) op.run(e); }, blasThreads).run();
            System.out.printf("bits %s: 1 vs %d BLAS threads %s%n", names[o], blasThreads, two.equals(out) && two.sub(out).amaxNumber().doubleValue() == 0 ? "identical" : "DIFFER max " + two.sub(out).amaxNumber());
            if (save != null) h.assign(save);
            dh.assign(saveDh);
        }
        if (Boolean.getBoolean("bitsOnly")) { pool.shutdown(); return; }
        int c = cases.size();
        for (Runnable r : cases) r.run(); // warm-up
        double[][] t = new double[c][rounds];
        for (int i = 0; i < rounds; i++)
            for (int k = 0; k < c; k++) t[k][i] = MoeBench.time(cases.get(k));
        pool.shutdown();
        System.out.printf(Locale.ROOT, "# Per-expert GEMMs, %d experts × %d rows (N = %d, K = %d), d = %d, G = %d; %d rounds, %d BLAS threads default, OMP_NUM_THREADS=%s%n%n",
                NE, ne, n, K, D, G, rounds, blasThreads, System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        System.out.println("| GEMM, variant | median ms | fastest ms | GFLOP/s (fastest) |\n|---|---|---|---|");
        for (int k = 0; k < c; k++)
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.1f |%n", labels.get(k), MoeBench.median(t[k]), MoeBench.min(t[k]),
                    flops.get(k) / (MoeBench.min(t[k]) * 1e6));
    }

    static INDArray view(INDArray base, long off, int r, int c) {
        return Nd4j.create(base.data(), new long[] {r, c}, new long[] {c, 1}, base.offset() + off, 'c', base.dataType());
    }

    /** Runs body with 1 BLAS thread, restoring {@code restore} afterwards. */
    static Runnable single(Runnable body, int restore) {
        return () -> {
            Nd4j.factory().blas().setMaxThreads(1);
            try { body.run(); } finally { Nd4j.factory().blas().setMaxThreads(restore); }
        };
    }

    interface Expert { void run(int e); }

    /** Experts 0..NE-1 split into two halves, each half on its own pool thread. */
    static void twoThreads(ExecutorService pool, Expert op) {
        try {
            Future<?> a = pool.submit(() -> { for (int e = 0; e < NE; e += 2) op.run(e); });
            Future<?> b = pool.submit(() -> { for (int e = 1; e < NE; e += 2) op.run(e); });
            a.get();
            b.get();
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }
}
