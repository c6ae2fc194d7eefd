package sigmoe.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import sigmoe.config.RunConfig;
import sigmoe.data.Tokens;
import sigmoe.model.FeedForward;
import sigmoe.model.FeedForwards;
import sigmoe.model.ModelConfig;
import sigmoe.model.TransformerXL;
import sigmoe.nn.GradCheck;
import sigmoe.nn.Rng;
import sigmoe.train.Adam;
import sigmoe.train.GradClip;
import sigmoe.train.LrSchedule;
import sigmoe.train.Replica;
import sigmoe.train.SegmentStreams;

/**
 * Whole-training-step benchmark (one JVM = one column of bench/step-bench.sh). Measures, interleaved so that a load
 * spike on the shared machine hits everything alike:
 * <ul>
 *   <li>sgemm [8192×412]×[412×2048] FLOAT, the machine's GEMM rate in this JVM;</li>
 *   <li>training-step tokens/s ({@link Replica#step}) of conf/small-dense.conf and conf/small-moe.conf on a
 *       synthetic uniform token stream of vocabulary V, median over steps after warm-up, and the model FLOP/s
 *       (matrix products only, 3× forward) as a fraction of sgemm;</li>
 *   <li>a phase split of the step (forward, backward, clipping, Adam) timed from outside the model;</li>
 *   <li>σ-MoE FFN activation memory vs the dense FFN's;</li>
 *   <li>with {@code memSteps > 0}: heap after GC and JavaCPP off-heap bytes after 100 and after memSteps steps of
 *       the tiny σ-MoE configuration.</li>
 * </ul>
 * Writes key=value results to a properties file; {@link StepTable} turns one or two of them into the table.
 * Usage: StepBench OUT.properties [steps=8] [warmup=2] [memSteps=1000] [memSeconds=180] [batch=cfg] [segment=cfg]
 */
public final class StepBench {
    static final int VOCAB = 8000;
    static final int SG_M = 8192, SG_K = 412, SG_N = 2048;

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int memSteps = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        double memSeconds = args.length > 4 ? Double.parseDouble(args[4]) : 180;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        int segment = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        Map<String, String> r = new LinkedHashMap<>();
        r.put("coretype", System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset"));
        r.put("omp", System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        r.put("blasSpin", System.getenv().getOrDefault("OPENBLAS_THREAD_TIMEOUT", "unset"));
        r.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));

        INDArray a = GradCheck.randn(Nd4j.create(DataType.FLOAT, SG_M, SG_K), 1, 1.0);
        INDArray b = GradCheck.randn(Nd4j.create(DataType.FLOAT, SG_K, SG_N), 2, 0.02);
        INDArray c = Nd4j.create(DataType.FLOAT, SG_M, SG_N);
        Runnable sgemm = () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        for (int i = 0; i < 3; i++) sgemm.run();

        Setup dense = new Setup("conf/small-dense.conf", batch, segment);
        Setup moe = new Setup("conf/small-moe.conf", batch, segment);
        r.put("batch", Integer.toString(dense.batch));
        r.put("segment", Integer.toString(dense.seg));
        r.put("mem", Integer.toString(dense.memRows));
        for (int i = 0; i < warmup; i++) { dense.step(); moe.step(); }
        List<Double> sg = new ArrayList<>(), dt = new ArrayList<>(), mt = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            sg.add(time(sgemm));
            dt.add(time(dense::step));
            mt.add(time(moe::step));
        }
        double sgMs = median(sg);
        double sgGflops = 2.0 * SG_M * SG_K * SG_N / (sgMs * 1e6);
        r.put("sgemm.ms", f(sgMs));
        r.put("sgemm.gflops", f(sgGflops));
        double sgMin = sg.stream().mapToDouble(x -> x).min().orElse(Double.NaN);
        r.put("sgemm.min.gflops", f(2.0 * SG_M * SG_K * SG_N / (sgMin * 1e6)));
        for (Setup s : new Setup[] {dense, moe}) {
            List<Double> t = s == dense ? dt : mt;
            String k = s.key;
            double ms = median(t);
            r.put(k + ".step.ms", f(ms));
            r.put(k + ".step.min.ms", f(t.stream().mapToDouble(x -> x).min().orElse(Double.NaN)));
            r.put(k + ".tokens_per_s", f(s.tokens() / (ms / 1e3)));
            double flops = s.stepFlops();
            r.put(k + ".gflop_per_step", f(flops / 1e9));
            r.put(k + ".gflops", f(flops / (ms * 1e6)));
            r.put(k + ".vs_sgemm", f(flops / (ms * 1e6) / sgGflops));
            double minMs = t.stream().mapToDouble(x -> x).min().orElse(Double.NaN);
            r.put(k + ".vs_sgemm.fastest", f(flops / (minMs * 1e6) / (2.0 * SG_M * SG_K * SG_N / (sgMin * 1e6))));
            r.put(k + ".params", Long.toString(s.model.params.size()));
        }
        r.put("moe_over_dense.time", f(median(mt) / median(dt)));
        // phase split: forward / backward / clip / adam, each the median over `steps` probed steps
        for (Setup s : new Setup[] {dense, moe}) s.phases(steps, r);
        kernels(moe, Math.max(steps, 9), r);
        memory(dense, moe, r);
        if (memSteps > 0) growth(memSteps, memSeconds, r);

        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : r.entrySet()) sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        System.out.print(sb);
        sigmoe.testutil.BenchFiles.writeAtomically(out, sb);
    }

    /** One configuration's model, optimiser and synthetic stream. */
    static final class Setup {
        final String key;
        final ModelConfig mc;
        final TransformerXL model;
        final Replica replica;
        final LrSchedule schedule;
        final double clip;
        final int batch, seg, memRows;
        final Rng rng = new Rng(99);
        final int[] in, tg;

        Setup(String conf, int batchOverride, int segOverride) {
            RunConfig rc = RunConfig.load(conf);
            mc = rc.modelFor(VOCAB);
            key = mc.isMoe() ? "moe" : "dense";
            batch = batchOverride > 0 ? batchOverride : rc.train().batchSize();
            seg = segOverride > 0 ? segOverride : rc.train().segmentLength();
            memRows = rc.train().memSegments() * seg;
            model = new TransformerXL(mc, DataType.FLOAT);
            model.initialise(rc.train().seed());
            SegmentStreams streams = new SegmentStreams(synthetic(batch * seg * 64 + 1, 5), seg, batch, 0, batch);
            replica = new Replica(model, new Adam(model.params), streams, memRows, 7);
            schedule = LrSchedule.of(rc.train());
            clip = rc.train().gradClip();
            in = new int[batch * seg];
            tg = new int[batch * seg];
        }

        void step() {
            Replica.StepResult res = replica.step(schedule, clip);
            if (!res.applied()) throw new IllegalStateException(key + ": step " + res.step() + " was skipped (loss " + res.ceSum() + ")");
        }

        long tokens() { return (long) batch * seg; }

        /**
         * Matrix-product FLOPs of one training step, 3× the forward's (forward + the two backward products of each
         * GEMM): attention projections (q on T rows, k and v on M+T rows per stream, r on M+T offsets, o), the
         * content and position scores and the value product over all M+T keys, the FFN's GEMMs (σ-MoE: K experts of
         * size G per token plus the router) and the output layer.
         */
        double stepFlops() {
            double n = (double) batch * seg, len = memRows + seg, d = mc.dModel(), in = mc.attnDim();
            double attn = 2 * n * d * in + 2 * 2 * batch * len * d * in + 2 * len * d * in + 2 * n * in * d
                    + 3 * 2 * n * len * in;
            double ffn = mc.isMoe() ? 2 * 2 * n * mc.topK() * d * mc.expertSize() + 2 * n * d * mc.nExperts()
                    : 2 * 2 * n * d * mc.dFf();
            double output = 2 * n * d * mc.vocabSize();
            return 3 * (mc.nLayers() * (attn + ffn) + output);
        }

        /** The step of Replica.step, phase by phase (same calls), medians into r. */
        void phases(int reps, Map<String, String> r) {
            double[][] t = new double[4][reps];
            SegmentStreams s = replica.streams;
            for (int i = 0; i < reps; i++) {
                long p = replica.step();
                if (s.startsEpoch(p)) model.resetMemory();
                s.batch(p, in, tg);
                long t0 = System.nanoTime();
                model.params.zeroGrads();
                TransformerXL.Loss loss = model.forward(in, tg, batch, seg, memRows, true, rng);
                long t1 = System.nanoTime();
                model.backward(1.0 / Math.max(1, loss.count()));
                long t2 = System.nanoTime();
                GradClip.clip(model.params.grads(), clip);
                long t3 = System.nanoTime();
                replica.adam.update(schedule.at(p));
                long t4 = System.nanoTime();
                replica.setStep(p + 1);
                t[0][i] = (t1 - t0) / 1e6; t[1][i] = (t2 - t1) / 1e6; t[2][i] = (t3 - t2) / 1e6; t[3][i] = (t4 - t3) / 1e6;
            }
            String[] names = {"forward", "backward", "clip", "adam"};
            for (int k = 0; k < 4; k++) r.put(key + ".phase." + names[k] + ".ms", f(median(t[k])));
        }
    }

    /**
     * Before/after of the FLOAT fast paths, interleaved in this JVM: Adam and the gradient norm over a buffer of the
     * σ-MoE model's parameter count.
     */
    static void kernels(Setup s, int reps, Map<String, String> r) {
        long size = s.model.params.size();
        sigmoe.nn.ParamStore st = new sigmoe.nn.ParamStore(DataType.FLOAT);
        st.add("all", size);
        st.allocate();
        st.values().assign(GradCheck.randn(Nd4j.create(DataType.FLOAT, size), 3, 0.05));
        st.grads().assign(GradCheck.randn(Nd4j.create(DataType.FLOAT, size), 4, 0.01));
        Adam adam = new Adam(st);
        INDArray m = Nd4j.create(DataType.FLOAT, size), v = Nd4j.create(DataType.FLOAT, size);
        long[] t = {0};
        Runnable[] after = {() -> adam.update(1e-5), () -> GradClip.norm(st.grads())};
        Runnable[] before = {() -> Reference.adam(st, m, v, 1e-5, ++t[0]), () -> Reference.norm(st.grads())};
        String[] names = {"adam", "norm"};
        for (int w = 0; w < 3; w++) for (int k = 0; k < 2; k++) { before[k].run(); after[k].run(); }
        double[][] tb = new double[2][reps], ta = new double[2][reps];
        for (int i = 0; i < reps; i++)
            for (int k = 0; k < 2; k++) { tb[k][i] = time(before[k]); ta[k][i] = time(after[k]); }
        for (int k = 0; k < 2; k++) {
            r.put("kernel." + names[k] + ".before.ms", f(median(tb[k])));
            r.put("kernel." + names[k] + ".after.ms", f(median(ta[k])));
            r.put("kernel." + names[k] + ".speedup", f(median(tb[k]) / median(ta[k])));
        }
        r.put("kernel.params", Long.toString(size));

    }

    /** σ-MoE FFN cached activations vs the dense FFN's at the same N (per layer). */
    static void memory(Setup dense, Setup moe, Map<String, String> r) {
        long n = dense.tokens();
        int dff = dense.mc.dFf();
        // activation memory as MoeBench counts it (held from forward to backward for the layer's own backward; not the
        // input, not the [N, d] output y and input gradient dx): the dense FFN's hidden H [N, d_ff]
        long denseCore = 4L * n * dff;
        // plus the hidden dropout of the model's dense FFN (mask and dropped copy, [N, d_ff] each) when p > 0
        long denseModel = denseCore + (dense.mc.dropout() > 0 ? 2 * 4L * n * dff : 0);
        long moeBytes = 0;
        for (FeedForward ff : moe.model.ffns()) { moeBytes = ((FeedForwards.SigmaMoe) ff).moe().cachedBytes(); break; }
        r.put("mem.dense_ffn.bytes", Long.toString(denseCore));
        r.put("mem.dense_ffn_dropout.bytes", Long.toString(denseModel));
        r.put("mem.moe_ffn.bytes", Long.toString(moeBytes));
        r.put("mem.moe_over_dense", f((double) moeBytes / denseCore));
        r.put("mem.moe_over_dense_dropout", f((double) moeBytes / denseModel));
        r.put("mem.target", f((double) moe.mc.topK() / moe.mc.nExperts() + 0.05));
    }

    /** Heap after GC and off-heap bytes after 100 and after up to memSteps steps (time-capped) of tiny σ-MoE. */
    static void growth(int memSteps, double seconds, Map<String, String> r) {
        Setup tiny = new Setup("conf/tiny-moe.conf", 0, 0);
        long t0 = System.nanoTime();
        int done = 0;
        long[] at100 = null;
        while (done < memSteps) {
            tiny.step();
            done++;
            if (done == 100) at100 = snapshot();
            if (done >= 100 && (System.nanoTime() - t0) / 1e9 > seconds) break;
        }
        long[] end = snapshot();
        if (at100 == null) at100 = end;
        r.put("growth.steps", Integer.toString(done));
        r.put("growth.seconds", f((System.nanoTime() - t0) / 1e9));
        String[] names = {"heap", "physical", "javacpp_total"};
        for (int i = 0; i < 3; i++) {
            r.put("growth." + names[i] + ".at100", Long.toString(at100[i]));
            r.put("growth." + names[i] + ".end", Long.toString(end[i]));
        }
    }

    private static long[] snapshot() {
        for (int i = 0; i < 3; i++) System.gc();
        Runtime rt = Runtime.getRuntime();
        return new long[] {rt.totalMemory() - rt.freeMemory(), org.bytedeco.javacpp.Pointer.physicalBytes(),
                org.bytedeco.javacpp.Pointer.totalBytes()};
    }

    /** Uniform ids in [0, VOCAB) from a fixed seed. */
    static Tokens synthetic(int n, long seed) {
        Rng rng = new Rng(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.nextInt(VOCAB);
        return Tokens.of(ids);
    }

    static double time(Runnable run) {
        long t0 = System.nanoTime();
        run.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    static double median(List<Double> t) { return median(t.stream().mapToDouble(x -> x).toArray()); }

    static double median(double[] t) {
        double[] s = t.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String f(double v) { return String.format(Locale.ROOT, "%.4f", v); }

    static Properties read(Path p) throws IOException {
        Properties pr = new Properties();
        try (var rd = Files.newBufferedReader(p, StandardCharsets.UTF_8)) { pr.load(rd); }
        return pr;
    }
}
