package sigmoe.nn;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Transformer-XL relative multi-head attention with memory (formats.md §3, paper.md §3.2–3.3), forward and
 * backward side by side.
 *
 * <p>For each stream b the input holds M memory rows followed by T segment rows (both already LayerNorm-ed);
 * query i of the segment sits at absolute position M+i and sees keys j = 0..M+i:
 * <pre>
 *   score(i, j) = scale · ( (q_i + u)·k_j + (q_i + v)·R[j − (M+i)] ),   R = P Wrᵀ,  P = sinusoid(offset)
 *   att = softmax_j(score);   out = concat_heads(att · V) Woᵀ
 * </pre>
 * Only the L = M+T offsets −(L−1)..0 can be visible, so R is computed for exactly those (row ρ = offset + L − 1).
 * The relative shift is an index mapping: BD[i, ρ] = (q_i + v)·R[ρ] is one product per head over all streams, and
 * key j of query i reads BD[i, j + T − 1 − i]; backward scatters along the same mapping.
 *
 * <p>Layout, chosen so that every matrix product is one large GEMM or one batched call and activations are never
 * copied between head-major and row-major layouts:
 * <ul>
 *   <li>q, k and v come from ONE fused GEMM over all B·L source rows, {@code qkv = src [Wq; Wk; Wv]ᵀ}
 *       [B·L, 3·H·hs] (the three weights are adjacent in the parameter store): memory rows get a query they never
 *       use (+20% of the projection FLOPs), which is far cheaper than B per-stream query GEMMs. Backward mirrors
 *       it: one dW and one dSrc GEMM over dqkv, whose memory-row query columns stay zero.</li>
 *   <li>per-(head, stream) products (content scores, att·V and their backward) are single {@link StridedGemm}
 *       batched calls over strided [H, B, rows, hs] views of the row-major q/k/v/o buffers, writing results (o, dk,
 *       dv) straight into their row-major places;</li>
 *   <li>the position term and its backward are batched over heads on [H, B·T, hs] views (R is shared by all
 *       streams), scores [H, B, T, L] contiguous.</li>
 * </ul>
 * Softmax, masking, the shift and the bias/scale gradients are Java loops ({@link AttentionLoops}). All buffers
 * are owned by the layer and reused (grown when shapes grow). No attention dropout (paper.md §3.2).
 */
public final class RelativeAttention {
    private final int d, nHeads, hs, inner;
    private final DataType dtype;
    private final Param wq, wk, wv, wr, wo, contentBias, positionBias, scale;
    private INDArray wqkv, gqkv;                         // [3·inner, d] views over wq, wk, wv (values, gradients)

    // Shapes and inputs of the last forward, kept for backward.
    private int nB = -1, nM = -1, nT = -1, nL;
    private INDArray src;
    private double scaleUsed;
    private boolean haveForward, dqMemoryZeroed;
    private double[] rowScratch = new double[0];

    // Row-major buffers: qkv/dqkv [B·L, 3·inner], qu/qv/oc/doc/g1/g2 [B·T, inner], rc/drc [L, inner], pos [L, d];
    // scores att/bd/dscore [H, B, T, L].
    private final AttentionBuffer qkv, pos, rc, qu, qv, att, bd, oc, out;
    private int posRows = -1;                            // L for which pos currently holds the sinusoid
    private final AttentionBuffer doc, dscore, g1, g2, dqkv, drc, dsrc;
    // Strided operand views for StridedGemm, rebuilt when the shapes change.
    private INDArray qu4, k4, v4, att4, o4, do4, ds4, g1v4, dk4, dv4, qv3, r3, bd3, g2v3, dr3;

    /**
     * Registers {@code prefix.q.weight}, {@code .k.weight}, {@code .v.weight}, {@code .r.weight} [H·hs, d],
     * {@code .o.weight} [d, H·hs], {@code .content_bias}, {@code .position_bias} [H, hs] and {@code .scale} [1].
     */
    public RelativeAttention(ParamStore ps, String prefix, int dModel, int nHeads, int headDim) {
        if (dModel < 1 || nHeads < 1 || headDim < 1)
            throw new IllegalArgumentException(prefix + ": d_model, n_heads and head_dim must be >= 1, got "
                    + dModel + ", " + nHeads + ", " + headDim);
        this.d = dModel;
        this.nHeads = nHeads;
        this.hs = headDim;
        this.inner = nHeads * headDim;
        this.dtype = ps.dtype();
        wq = ps.add(prefix + ".q.weight", inner, d);
        wk = ps.add(prefix + ".k.weight", inner, d);
        wv = ps.add(prefix + ".v.weight", inner, d);
        wr = ps.add(prefix + ".r.weight", inner, d);
        wo = ps.add(prefix + ".o.weight", d, inner);
        contentBias = ps.add(prefix + ".content_bias", nHeads, headDim);
        positionBias = ps.add(prefix + ".position_bias", nHeads, headDim);
        scale = ps.add(prefix + ".scale", 1);
        if (wk.offset != wq.offset + wq.length || wv.offset != wk.offset + wk.length)
            throw new IllegalStateException(prefix + ": q, k, v weights must be adjacent in the parameter store");
        qkv = buf(); pos = buf(); rc = buf(); qu = buf(); qv = buf(); att = buf(); bd = buf(); oc = buf(); out = buf();
        doc = buf(); dscore = buf(); g1 = buf(); g2 = buf(); dqkv = buf(); drc = buf(); dsrc = buf();
    }

    private AttentionBuffer buf() { return new AttentionBuffer(dtype); }

    /**
     * q, k, v, r, o: truncated normal (±2, std 1) rescaled to the exact empirical std sqrt(2/(nLayers·fan_in))
     * (paper.md §3.4, the reference's reset_prenorm_params; "std" as torch.Tensor.std, i.e. with n−1);
     * u = v = 0; scale = 1/sqrt(hs). Draws q, k, v, r, o in that order from {@code rng}.
     */
    public void initialise(Rng rng, int nLayers) {
        if (nLayers < 1) throw new IllegalArgumentException("initialise: n_layers must be >= 1, got " + nLayers);
        for (Param w : new Param[] {wq, wk, wv, wr, wo}) {
            INDArray wValue = w.value();
            truncatedNormalExactStd(Mem.of(wValue), rng, Math.sqrt(2.0 / (nLayers * (double) w.shape[1])));
            Reference.reachabilityFence(wValue);
        }
        INDArray u = contentBias.value(), v = positionBias.value(), sc = scale.value();
        fill(Mem.of(u), 0);
        fill(Mem.of(v), 0);
        Mem.of(sc).set(0, 1.0 / Math.sqrt(hs));
        Reference.reachabilityFence(u); Reference.reachabilityFence(v); Reference.reachabilityFence(sc);
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * @param src [batch·(mem+seg), d]: per stream b, rows [b·(mem+seg), (b+1)·(mem+seg)) = LN-ed memory (mem rows)
     *            then the LN-ed segment (seg rows). Kept by reference until backward: do not modify it in between.
     * @return out [batch·seg, d], row b·seg + i (after the output projection); valid until the next call.
     */
    public INDArray forward(INDArray src, int batch, int mem, int seg) {
        checkForward(src, batch, mem, seg);
        this.src = src;
        reshape(batch, mem, seg);
        INDArray sc = scale.value();
        scaleUsed = Mem.of(sc).get(0);
        Reference.reachabilityFence(sc);
        if (wqkv == null) {
            wqkv = Nd4j.create(wq.value().data(), new long[] {3L * inner, d}, new long[] {d, 1}, wq.value().offset(), 'c', dtype);
            gqkv = Nd4j.create(wq.grad().data(), new long[] {3L * inner, d}, new long[] {d, 1}, wq.grad().offset(), 'c', dtype);
        }

        // Projections (no biases): q, k, v of every source row in one GEMM; R for the offsets −(L−1)..0 only (the
        // sinusoid table depends on L alone, so it is rebuilt only when L changes).
        Nd4j.gemm(src, wqkv, qkv.all(), false, true, 1, 0);
        if (posRows != nL) { Sinusoid.fill(pos.all(), -(nL - 1)); posRows = nL; }
        Nd4j.gemm(pos.all(), wr.value(), rc.all(), false, true, 1, 0);
        // u and v are added here once instead of inside the L-times larger score loop.
        AttentionLoops.splitQueries(qkv.all(), qu.all(), qv.all(), heap(contentBias), heap(positionBias), nB, nM, nT, inner);

        StridedGemm.mm(qv3, r3, bd3, false, true, 1, 0);      // BD[h][b·T+i, ρ] = (q_i + v)·R[ρ], all streams at once
        StridedGemm.mm(qu4, k4, att4, false, true, 1, 0);     // AC[h, b][i, j] = (q_i + u)·k_j, where att will be
        AttentionLoops.shiftMaskSoftmax(att.all(), bd.all(), scaleUsed, rowScratch, nHeads * nB, nM, nT);
        StridedGemm.mm(att4, v4, o4, false, false, 1, 0);     // O[h, b] = att·V, into the row-major oc
        Nd4j.gemm(oc.all(), wo.value(), out.all(), false, true, 1, 0);
        haveForward = true;
        return out.all();
    }

    // ----------------------------------------------------------------------------------------------- backward

    /**
     * @param dOut [batch·seg, d], gradient of the loss w.r.t. the last forward's output.
     * @return dSrc [batch·(mem+seg), d] for every src row, memory rows included (the caller needs them for the
     *         LayerNorm weights); parameter gradients are added into the store.
     */
    public INDArray backward(INDArray dOut) {
        checkBackward(dOut);
        double s = scaleUsed;

        // out = O Woᵀ
        Nd4j.gemm(dOut, oc.all(), wo.grad(), true, false, 1, 1);       // dWo += dOutᵀ·O
        Nd4j.gemm(dOut, wo.value(), doc.all(), false, false, 1, 0);     // dO = dOut·Wo

        // O = att·V per (head, stream)
        StridedGemm.mm(do4, v4, ds4, false, true, 1, 0);               // dAtt = dO·Vᵀ
        StridedGemm.mm(att4, do4, dv4, true, false, 1, 0);             // dV = attᵀ·dO, into dqkv's v columns
        AttentionLoops.softmaxBackwardUnshift(att.all(), dscore.all(), bd.all(), nHeads * nB, nM, nT);

        // score = scale·raw, raw = (q+u)·k + (q+v)·R∘shift. With dS = dL/dscore:
        //   G1 = dS·K = d(Σ dS·raw)/d(q+u),  G2 = dBD·R = d(Σ dS·raw)/d(q+v),
        //   dK = scale·dSᵀ(q+u),  dR = scale·dBDᵀ(q+v),  dq = scale·(G1+G2),  du = scale·ΣG1,  dv = scale·ΣG2,
        //   dscale = Σ dS·raw = Σ (q+u)·G1 + (q+v)·G2, so the raw logits need not be kept from the forward.
        StridedGemm.mm(ds4, k4, g1v4, false, false, 1, 0);
        StridedGemm.mm(ds4, qu4, dk4, true, false, s, 0);              // into dqkv's k columns
        StridedGemm.mm(bd3, r3, g2v3, false, false, 1, 0);
        StridedGemm.mm(bd3, qv3, dr3, true, false, s, 0);
        // dqkv.mem() is safe without a fence: the AttentionBuffer field dqkv holds the Mem next to the array it views
        if (!dqMemoryZeroed) { AttentionLoops.zeroMemoryQueries(dqkv.mem(), nB, nM, nT, inner); dqMemoryZeroed = true; }
        double[] du = new double[inner], dv = new double[inner];
        double dScale = AttentionLoops.queryGradients(g1.all(), g2.all(), qu.all(), qv.all(), dqkv.all(), s, du, dv, nB, nM, nT, inner);
        INDArray uGrad = contentBias.grad(), vGrad = positionBias.grad(), scGrad = scale.grad();
        Mem gu = Mem.of(uGrad), gv = Mem.of(vGrad);
        for (int k = 0; k < inner; k++) { gu.add(k, s * du[k]); gv.add(k, s * dv[k]); }
        Mem.of(scGrad).add(0, dScale);
        Reference.reachabilityFence(uGrad); Reference.reachabilityFence(vGrad); Reference.reachabilityFence(scGrad);

        // Projections: weight gradients accumulate (β = 1); dSrc gets the query, key and value paths in one GEMM.
        Nd4j.gemm(dqkv.all(), src, gqkv, true, false, 1, 1);
        Nd4j.gemm(drc.all(), pos.all(), wr.grad(), true, false, 1, 1);
        Nd4j.gemm(dqkv.all(), wqkv, dsrc.all(), false, false, 1, 0);
        return dsrc.all();
    }

    // ----------------------------------------------------------------------------------------- layout helpers

    /** Sizes every buffer and rebuilds the strided views for (B, M, T); a no-op when the shapes did not change. */
    private void reshape(int batch, int mem, int seg) {
        if (batch == nB && mem == nM && seg == nT) return;
        nB = batch; nM = mem; nT = seg; nL = mem + seg;
        int bt = nB * nT, bl = nB * nL, w3 = 3 * inner;
        qkv.shape(1, 1, bl, w3); pos.shape(1, 1, nL, d); rc.shape(1, 1, nL, inner);
        qu.shape(1, 1, bt, inner); qv.shape(1, 1, bt, inner);
        att.shape(nHeads, nB, nT, nL); bd.shape(nHeads, nB, nT, nL);
        oc.shape(1, 1, bt, inner); out.shape(1, 1, bt, d);
        doc.shape(1, 1, bt, inner); dscore.shape(nHeads, nB, nT, nL);
        g1.shape(1, 1, bt, inner); g2.shape(1, 1, bt, inner);
        dqkv.shape(1, 1, bl, w3); drc.shape(1, 1, nL, inner); dsrc.shape(1, 1, bl, d);
        if (rowScratch.length < nL) rowScratch = new double[nL];
        posRows = -1;
        dqMemoryZeroed = false;
        haveForward = false;

        long[] shT = {nHeads, nB, nT, hs}, stT = {hs, (long) nT * inner, inner, 1};      // [B·T, inner] per (h, b)
        long[] shL = {nHeads, nB, nL, hs}, stL = {hs, (long) nL * w3, w3, 1};            // [B·L, 3·inner] per (h, b)
        long[] shS = {nHeads, nB, nT, nL}, stS = {(long) nB * nT * nL, (long) nT * nL, nL, 1};
        qu4 = qu.view(0, shT, stT); o4 = oc.view(0, shT, stT); do4 = doc.view(0, shT, stT); g1v4 = g1.view(0, shT, stT);
        k4 = qkv.view(inner, shL, stL); v4 = qkv.view(2L * inner, shL, stL);
        dk4 = dqkv.view(inner, shL, stL); dv4 = dqkv.view(2L * inner, shL, stL);
        att4 = att.view(0, shS, stS); ds4 = dscore.view(0, shS, stS);
        long[] shH = {nHeads, bt, hs}, stH = {hs, inner, 1}, shR = {nHeads, nL, hs};    // per head over all streams
        qv3 = qv.view(0, shH, stH); g2v3 = g2.view(0, shH, stH);
        r3 = rc.view(0, shR, stH); dr3 = drc.view(0, shR, stH);
        bd3 = bd.view(0, new long[] {nHeads, bt, nL}, new long[] {(long) bt * nL, nL, 1});
    }

    /** A small parameter as a double[] (u, v: H·hs values). */
    private static double[] heap(Param p) {
        INDArray a = p.value();
        Mem m = Mem.of(a);
        double[] x = new double[m.length];
        for (int i = 0; i < x.length; i++) x[i] = m.get(i);
        Reference.reachabilityFence(a);
        return x;
    }

    // ------------------------------------------------------------------------------------------ checks, init

    private void checkForward(INDArray x, int batch, int mem, int seg) {
        if (batch < 1 || seg < 1 || mem < 0)
            throw new IllegalArgumentException("attention forward: need batch >= 1, seg >= 1, mem >= 0; got batch="
                    + batch + " mem=" + mem + " seg=" + seg);
        long rows = (long) batch * (mem + seg);
        if (x.rank() != 2 || x.size(0) != rows || x.size(1) != d)
            throw new IllegalArgumentException("attention forward: src must be [batch*(mem+seg), d_model] = [" + rows
                    + ", " + d + "] (memory rows then segment rows per stream), got " + java.util.Arrays.toString(x.shape()));
        if (x.dataType() != dtype)
            throw new IllegalArgumentException("attention forward: src is " + x.dataType() + " but the parameters are "
                    + dtype + "; convert the input to the parameter store's type");
        if (!Mem.isContiguous(x))
            throw new IllegalArgumentException("attention forward: src must be a contiguous c-order array (dup('c') it)");
    }

    private void checkBackward(INDArray dOut) {
        if (!haveForward) throw new IllegalStateException("attention backward called before forward");
        if (dOut.rank() != 2 || dOut.size(0) != (long) nB * nT || dOut.size(1) != d)
            throw new IllegalArgumentException("attention backward: dOut must be [batch*seg, d_model] = [" + nB * nT
                    + ", " + d + "] like the last forward's output, got " + java.util.Arrays.toString(dOut.shape()));
        if (dOut.dataType() != dtype)
            throw new IllegalArgumentException("attention backward: dOut is " + dOut.dataType() + ", expected " + dtype);
    }

    /** Truncated N(0,1) on [−2, 2] by rejection, then multiplied so that the sample std (n−1) is exactly target. */
    private static void truncatedNormalExactStd(Mem w, Rng rng, double target) {
        double[] x = new double[w.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double g;
            do { g = rng.nextGaussian(); } while (g < -2 || g > 2);
            x[i] = g;
            sum += g;
        }
        double factor = target;
        if (x.length > 1) {
            double mean = sum / x.length, ss = 0;
            for (double g : x) ss += (g - mean) * (g - mean);
            factor = target / Math.sqrt(ss / (x.length - 1));
        }
        for (int i = 0; i < x.length; i++) w.set(i, x[i] * factor);
    }

    private static void fill(Mem m, double v) { for (int i = 0; i < m.length; i++) m.set(i, v); }
}
