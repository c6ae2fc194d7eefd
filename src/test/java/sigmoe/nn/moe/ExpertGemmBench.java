package sigmoe.nn.moe;

import sigmoe.nn.RowParallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.nn.GradCheck;

/**
 * The σ-MoE's six per-expert GEMMs at the WT-S shape (N_E = 16 experts × n_e = N·K/N_E rows, d = 412, G = 128), all
 * experts on row ranges of contiguous buffers as in the layer, in the variants a layer could choose: hidden units
 * stored [n_e, G] (rows, the layer's) or [G, n_e] (transposed, so OpenBLAS sees the other operand order); experts in
 * turn with the default BLAS threads, in turn with 1 BLAS thread (the per-core rate), or as the layer runs them
 * ({@link ExpertLoop}: workers taking experts from a counter, 1 BLAS thread each); plus the dense FFN's sgemm at the
 * default and at 1 BLAS thread. Variants run interleaved round by round (the machine is shared).
 * {@link #table} gives bench/moe-bench.sh its rows; main prints every variant and checks whether 1 and 2 BLAS
 * threads give the same bits. Usage: ExpertGemmBench [tokens=8192] [rounds=9]
 */
public final class ExpertGemmBench {
    static final int D = 412, NE = 16, G = 128, K = 4;
    static final String[] NAMES = {"fwd H = X·W1[e] NN", "fwd Y = U·W2[e] NN", "bwd dW2 += Uᵀ·dY TN β=1", "bwd dU = dY·W2ᵀ NT",
            "bwd dW1 += Xᵀ·dA TN β=1", "bwd dX = dA·W1ᵀ NT"};

    interface Op { void run(int e); }

    /** Per-expert operands over contiguous buffers; {@code rows[o]} / {@code trans[o]}: GEMM o for expert e. */
    static final class Shapes {
        final int ne;
        final INDArray y, h, dh, g1, g2;
        final Op[] rows, trans;

        Shapes(int n) {
            int total = n * K;
            ne = total / NE;
            DataType f = DataType.FLOAT;
            INDArray x = GradCheck.randn(Nd4j.create(f, total, D), 1, 1), dy = GradCheck.randn(Nd4j.create(f, total, D), 2, 1);
            y = Nd4j.create(f, total, D);
            h = GradCheck.randn(Nd4j.create(f, total, G), 3, 1);
            dh = GradCheck.randn(Nd4j.create(f, total, G), 4, 1);
            INDArray w1 = GradCheck.randn(Nd4j.create(f, NE * D, G), 5, 0.02), w2 = GradCheck.randn(Nd4j.create(f, NE * G, D), 6, 0.02);
            g1 = Nd4j.create(f, NE * D, G);
            g2 = Nd4j.create(f, NE * G, D);
            INDArray[] xe = new INDArray[NE], dye = new INDArray[NE], ye = new INDArray[NE], he = new INDArray[NE], dhe = new INDArray[NE];
            INDArray[] heT = new INDArray[NE], dheT = new INDArray[NE], w1e = new INDArray[NE], w2e = new INDArray[NE];
            INDArray[] g1e = new INDArray[NE], g2e = new INDArray[NE];
            for (int e = 0; e < NE; e++) {
                int r0 = e * ne, r1 = r0 + ne;
                xe[e] = MoeWorkspace.rows(x, r0, r1);
                dye[e] = MoeWorkspace.rows(dy, r0, r1);
                ye[e] = MoeWorkspace.rows(y, r0, r1);
                he[e] = MoeWorkspace.rows(h, r0, r1);
                dhe[e] = MoeWorkspace.rows(dh, r0, r1);
                heT[e] = view(h, (long) r0 * G, G, ne);
                dheT[e] = view(dh, (long) r0 * G, G, ne);
                w1e[e] = MoeWorkspace.rows(w1, e * D, (e + 1) * D);
                w2e[e] = MoeWorkspace.rows(w2, e * G, (e + 1) * G);
                g1e[e] = MoeWorkspace.rows(g1, e * D, (e + 1) * D);
                g2e[e] = MoeWorkspace.rows(g2, e * G, (e + 1) * G);
            }
            rows = new Op[] {
                    e -> Nd4j.gemm(xe[e], w1e[e], he[e], false, false, 1, 0),
                    e -> Nd4j.gemm(he[e], w2e[e], ye[e], false, false, 1, 0),
                    e -> Nd4j.gemm(he[e], dye[e], g2e[e], true, false, 1, 1),
                    e -> Nd4j.gemm(dye[e], w2e[e], dhe[e], false, true, 1, 0),
                    e -> Nd4j.gemm(xe[e], dhe[e], g1e[e], true, false, 1, 1),
                    e -> Nd4j.gemm(dhe[e], w1e[e], ye[e], false, true, 1, 0)};
            trans = new Op[] {
                    e -> Nd4j.gemm(w1e[e], xe[e], heT[e], true, true, 1, 0),    // Hᵀ = W1ᵀ Xᵀ
                    e -> Nd4j.gemm(heT[e], w2e[e], ye[e], true, false, 1, 0),   // Y = (Hᵀ)ᵀ W2
                    e -> Nd4j.gemm(heT[e], dye[e], g2e[e], false, false, 1, 1), // dW2 += Hᵀ dY
                    e -> Nd4j.gemm(w2e[e], dye[e], dheT[e], false, true, 1, 0), // dUᵀ = W2 dYᵀ
                    e -> Nd4j.gemm(xe[e], dheT[e], g1e[e], true, true, 1, 1),   // dW1 += Xᵀ (dAᵀ)ᵀ
                    e -> Nd4j.gemm(dheT[e], w1e[e], ye[e], true, true, 1, 0)};  // dX = (dAᵀ)ᵀ W1ᵀ
        }

        double flop() { return 2.0 * ne * D * G * NE; }
    }

    /** All experts in turn on the calling thread. */
    static Runnable inTurn(Op op) { return () -> { for (int e = 0; e < NE; e++) op.run(e); }; }

    /** All experts in turn with 1 BLAS thread. */
    static Runnable oneThread(Op op) {
        Runnable all = inTurn(op);
        return () -> {
            SingleBlas.enter();
            try { all.run(); } finally { SingleBlas.exit(); }
        };
    }

    /** As the layer runs them: workers take experts from a counter, 1 BLAS thread each. */
    static Runnable asLayer(Op op) {
        return () -> {
            AtomicInteger next = new AtomicInteger();
            SingleBlas.enter();
            try {
                RowParallel.forWorkers(Math.min(RowParallel.threads(), NE), w -> { for (int e; (e = next.getAndIncrement()) < NE; ) op.run(e); });
            } finally { SingleBlas.exit(); }
        };
    }

    /**
     * Markdown rows for bench/moe-bench.sh: each GEMM (the layer's layout) in turn at the default BLAS threads, in
     * turn at 1 BLAS thread, and as the layer runs them; fastest of {@code reps} interleaved rounds, each round
     * also timing {@code dense} (the dense FFN's forward + backward). Element 7 is the summed "as the layer" time in
     * ms, element 8 the fastest dense time of the same rounds.
     */
    static String[] table(int n, int reps, double sgemmGflops, Runnable dense) {
        Shapes s = new Shapes(n);
        Runnable[][] c = new Runnable[6][];
        for (int o = 0; o < 6; o++) c[o] = new Runnable[] {inTurn(s.rows[o]), oneThread(s.rows[o]), asLayer(s.rows[o])};
        double[][][] t = new double[6][3][reps];
        double[] td = new double[reps];
        for (Runnable[] r : c) for (Runnable x : r) x.run();
        for (int i = 0; i < reps; i++) {
            td[i] = MoeBench.time(dense);
            for (int o = 0; o < 6; o++) for (int v = 0; v < 3; v++) t[o][v][i] = MoeBench.time(c[o][v]);
        }
        String[] out = new String[9];
        out[8] = Double.toString(MoeBench.min(td));
        double[] sum = new double[3];
        for (int o = 0; o < 6; o++) {
            StringBuilder b = new StringBuilder("| " + NAMES[o] + " |");
            for (int v = 0; v < 3; v++) {
                double ms = MoeBench.min(t[o][v]), gf = s.flop() / (ms * 1e6);
                sum[v] += ms;
                b.append(String.format(Locale.ROOT, " %.2f | %.1f (%.2f) |", ms, gf, gf / sgemmGflops));
            }
            out[o] = b.toString();
        }
        StringBuilder b = new StringBuilder("| **all six** |");
        for (int v = 0; v < 3; v++) {
            double gf = 6 * s.flop() / (sum[v] * 1e6);
            b.append(String.format(Locale.ROOT, " %.2f | %.1f (%.2f) |", sum[v], gf, gf / sgemmGflops));
        }
        out[6] = b.toString();
        out[7] = Double.toString(sum[2]);
        return out;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        Shapes s = new Shapes(n);
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        bits(s, blasThreads);
        List<String> labels = new ArrayList<>();
        List<Runnable> cases = new ArrayList<>();
        List<Double> flops = new ArrayList<>();
        String[] fam = {"H rows [n_e,G]", "H transposed [G,n_e]"};
        for (int fi = 0; fi < 2; fi++)
            for (int o = 0; o < 6; o++) {
                Op op = (fi == 0 ? s.rows : s.trans)[o];
                String l = NAMES[o] + ", " + fam[fi];
                labels.add(l + ", in turn, " + blasThreads + " BLAS thr"); cases.add(inTurn(op)); flops.add(s.flop());
                labels.add(l + ", in turn, 1 BLAS thr"); cases.add(oneThread(op)); flops.add(s.flop());
                labels.add(l + ", as the layer: " + RowParallel.threads() + " workers × 1 BLAS thr"); cases.add(asLayer(op)); flops.add(s.flop());
            }
        INDArray a = GradCheck.randn(Nd4j.create(DataType.FLOAT, n, D), 7, 1), b = GradCheck.randn(Nd4j.create(DataType.FLOAT, D, NE * G), 8, 1);
        INDArray c = Nd4j.create(DataType.FLOAT, n, NE * G);
        labels.add("dense sgemm [" + n + "×412]×[412×2048], " + blasThreads + " BLAS thr");
        cases.add(() -> Nd4j.gemm(a, b, c, false, false, 1, 0));
        flops.add(2.0 * n * D * NE * G);
        labels.add("dense sgemm [" + n + "×412]×[412×2048], 1 BLAS thr");
        cases.add(oneThread(e -> { if (e == 0) Nd4j.gemm(a, b, c, false, false, 1, 0); }));
        flops.add(2.0 * n * D * NE * G);
        for (Runnable r : cases) r.run(); // warm-up
        double[][] t = new double[cases.size()][rounds];
        for (int i = 0; i < rounds; i++)
            for (int k = 0; k < cases.size(); k++) t[k][i] = MoeBench.time(cases.get(k));
        System.out.printf(Locale.ROOT, "# Per-expert GEMMs, %d experts × %d rows (N = %d, K = %d), d = %d, G = %d; %d rounds, %d BLAS threads default%n%n",
                NE, s.ne, n, K, D, G, rounds, blasThreads);
        System.out.println("| GEMM, variant | median ms | fastest ms | GFLOP/s (fastest) |\n|---|---|---|---|");
        for (int k = 0; k < cases.size(); k++)
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.1f |%n", labels.get(k), MoeBench.median(t[k]), MoeBench.min(t[k]),
                    flops.get(k) / (MoeBench.min(t[k]) * 1e6));
    }

    /** Whether each GEMM gives the same bits on 1 and on the default BLAS threads. */
    static void bits(Shapes s, int blasThreads) {
        INDArray[] outs = {s.h, s.y, s.g2, s.dh, s.g1, s.y};
        for (int o = 0; o < 6; o++) {
            INDArray h0 = s.h.dup(), dh0 = s.dh.dup();
            s.g1.assign(0);
            s.g2.assign(0);
            inTurn(s.rows[o]).run();
            INDArray many = outs[o].dup();
            s.h.assign(h0);
            s.dh.assign(dh0);
            s.g1.assign(0);
            s.g2.assign(0);
            oneThread(s.rows[o]).run();
            double diff = many.sub(outs[o]).amaxNumber().doubleValue();
            System.out.printf(Locale.ROOT, "bits %s: 1 vs %d BLAS threads: %s%n", NAMES[o], blasThreads,
                    diff == 0 ? "identical" : "differ, max |Δ| " + diff);
            s.h.assign(h0);
            s.dh.assign(dh0);
        }
    }

    static INDArray view(INDArray base, long off, int r, int c) {
        return Nd4j.create(base.data(), new long[] {r, c}, new long[] {c, 1}, base.offset() + off, 'c', base.dataType());
    }
}
