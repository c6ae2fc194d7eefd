package sigmoe.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
 * The relative shift is an index mapping: BD[i, ρ] = (q_i + v)·R[ρ] is one GEMM per head over all streams, and
 * key j of query i reads BD[i, j + T − 1 − i]; backward scatters along the same mapping.
 *
 * <p>Layout: q/k/v/R and the per-head outputs are copied into head-major buffers {@code [H, B, rows, hs]} so that
 * every per-(head, stream) product is a GEMM on contiguous row blocks, and every per-head product over all streams
 * (the position term) is one GEMM on a contiguous {@code [B·T, hs]} block. Softmax, masking, the shift and the
 * bias/scale gradients are Java loops. All buffers are owned by the layer and reused (grown when shapes grow).
 * No attention dropout (paper.md §3.2).
 */
public final class RelativeAttention {
    private final int d, nHeads, hs, inner;
    private final DataType dtype;
    private final Param wq, wk, wv, wr, wo, contentBias, positionBias, scale;

    // Shapes and inputs of the last forward, kept for backward.
    private int nB, nM, nT, nL;
    private INDArray src;
    private double scaleUsed;
    private boolean haveForward;
    private double[] rowScratch = new double[0];

    // Forward buffers. "c" = concatenated heads [rows, H·hs]; "h" = head-major [H, B, rows, hs].
    private final AttentionBuffer qc, kc, vc, pos, rc;   // projections; pos = sinusoid table P [L, d]
    private final AttentionBuffer qu, qv, kh, vh, rh;    // qu = q + u, qv = q + v (biases folded into the copies)
    private final AttentionBuffer att, bd;               // [H, B, T, L]: probabilities; position term (dBD in backward)
    private final AttentionBuffer oh, oc, out;
    private int posRows = -1;                            // L for which pos currently holds the sinusoid
    // Backward buffers.
    private final AttentionBuffer doc, doh, dscore, dvh, dkh, drh, g1, g2, dqc, dkc, dvc, drc, dsrc;

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
        qc = buf(); kc = buf(); vc = buf(); pos = buf(); rc = buf();
        qu = buf(); qv = buf(); kh = buf(); vh = buf(); rh = buf();
        att = buf(); bd = buf(); oh = buf(); oc = buf(); out = buf();
        doc = buf(); doh = buf(); dscore = buf(); dvh = buf(); dkh = buf(); drh = buf();
        g1 = buf(); g2 = buf(); dqc = buf(); dkc = buf(); dvc = buf(); drc = buf(); dsrc = buf();
    }

    private AttentionBuffer buf() { return new AttentionBuffer(dtype); }

    /**
     * q, k, v, r, o: truncated normal (±2, std 1) rescaled to the exact empirical std sqrt(2/(nLayers·fan_in))
     * (paper.md §3.4, the reference's reset_prenorm_params; "std" as torch.Tensor.std, i.e. with n−1);
     * u = v = 0; scale = 1/sqrt(hs). Draws q, k, v, r, o in that order from {@code rng}.
     */
    public void initialise(Rng rng, int nLayers) {
        if (nLayers < 1) throw new IllegalArgumentException("initialise: n_layers must be >= 1, got " + nLayers);
        for (Param w : new Param[] {wq, wk, wv, wr, wo})
            truncatedNormalExactStd(Mem.of(w.value()), rng, Math.sqrt(2.0 / (nLayers * (double) w.shape[1])));
        fill(Mem.of(contentBias.value()), 0);
        fill(Mem.of(positionBias.value()), 0);
        Mem.of(scale.value()).set(0, 1.0 / Math.sqrt(hs));
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
        nB = batch; nM = mem; nT = seg; nL = mem + seg;
        reshape();
        scaleUsed = Mem.of(scale.value()).get(0);

        // Projections (no biases). Queries only for the segment rows: memory rows serve as keys and values only.
        for (int b = 0; b < nB; b++) Nd4j.gemm(segmentRows(src, b), wq.value(), qc.pair(0, b), false, true, 1, 0);
        Nd4j.gemm(src, wk.value(), kc.all(), false, true, 1, 0);
        Nd4j.gemm(src, wv.value(), vc.all(), false, true, 1, 0);
        // R for the offsets −(L−1)..0 only; the sinusoid table depends on L alone, so it is rebuilt only when L changes.
        if (posRows != nL) { Sinusoid.fill(pos.all(), -(nL - 1)); posRows = nL; }
        Nd4j.gemm(pos.all(), wr.value(), rc.all(), false, true, 1, 0);

        // Head-major copies; u and v are added here once instead of inside the L-times larger score loop.
        splitQueries();
        splitHeads(kc, kh, nB, nL);
        splitHeads(vc, vh, nB, nL);
        splitHeads(rc, rh, 1, nL);

        // Position term, all streams of a head at once: BD[b·T+i, ρ] = (q_i + v)·R[ρ].
        for (int h = 0; h < nHeads; h++) Nd4j.gemm(qv.head(h), rh.head(h), bd.head(h), false, true, 1, 0);
        // Content term per (head, stream), written where the probabilities will be: AC[i, j] = (q_i + u)·k_j.
        for (int h = 0; h < nHeads; h++)
            for (int b = 0; b < nB; b++) Nd4j.gemm(qu.pair(h, b), kh.pair(h, b), att.pair(h, b), false, true, 1, 0);
        shiftMaskSoftmax();
        for (int h = 0; h < nHeads; h++)
            for (int b = 0; b < nB; b++) Nd4j.gemm(att.pair(h, b), vh.pair(h, b), oh.pair(h, b), false, false, 1, 0);
        mergeHeads(oh, oc, nB, nT);
        Nd4j.gemm(oc.all(), wo.value(), out.all(), false, true, 1, 0);
        haveForward = true;
        return out.all();
    }

    /**
     * att[i, j] := softmax_j(scale·(AC[i, j] + BD[i, j + T−1−i])) over the visible keys j ≤ M+i, 0 elsewhere.
     * The key-j column of BD for query i is ρ = j + T−1−i because offset j−(M+i) = ρ−(L−1).
     */
    private void shiftMaskSoftmax() {
        Mem a = att.mem(), p = bd.mem();
        double s = scaleUsed;
        double[] x = rowScratch;
        for (int hb = 0; hb < nHeads * nB; hb++) {
            for (int i = 0; i < nT; i++) {
                int row = (hb * nT + i) * nL;      // same element index in att and bd: both are [H, B, T, L]
                int shift = nT - 1 - i;
                int visible = nM + i + 1;          // all memory, and the segment up to the query itself
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    x[j] = s * (a.get(row + j) + p.get(row + j + shift));
                    if (x[j] > max) max = x[j];
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) { x[j] = Math.exp(x[j] - max); sum += x[j]; }
                double inv = 1.0 / sum;
                for (int j = 0; j < visible; j++) a.set(row + j, x[j] * inv);
                for (int j = visible; j < nL; j++) a.set(row + j, 0);
            }
        }
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
        splitHeads(doc, doh, nB, nT);

        // O_hb = att_hb · V_hb
        for (int h = 0; h < nHeads; h++)
            for (int b = 0; b < nB; b++) {
                Nd4j.gemm(doh.pair(h, b), vh.pair(h, b), dscore.pair(h, b), false, true, 1, 0);  // dAtt = dO·Vᵀ
                Nd4j.gemm(att.pair(h, b), doh.pair(h, b), dvh.pair(h, b), true, false, 1, 0);    // dV = attᵀ·dO
            }
        softmaxBackwardUnshift();

        // score = scale·raw, raw = (q+u)·k + (q+v)·R∘shift. With dS = dL/dscore:
        //   G1 = dS·K = d(Σ dS·raw)/d(q+u),  G2 = dBD·R = d(Σ dS·raw)/d(q+v),
        //   dK = scale·dSᵀ(q+u),  dR = scale·dBDᵀ(q+v),  dq = scale·(G1+G2),  du = scale·ΣG1,  dv = scale·ΣG2,
        //   dscale = Σ dS·raw = Σ (q+u)·G1 + (q+v)·G2, so the raw logits need not be kept from the forward.
        for (int h = 0; h < nHeads; h++)
            for (int b = 0; b < nB; b++) {
                Nd4j.gemm(dscore.pair(h, b), kh.pair(h, b), g1.pair(h, b), false, false, 1, 0);
                Nd4j.gemm(dscore.pair(h, b), qu.pair(h, b), dkh.pair(h, b), true, false, s, 0);
            }
        for (int h = 0; h < nHeads; h++) {
            Nd4j.gemm(bd.head(h), rh.head(h), g2.head(h), false, false, 1, 0);
            Nd4j.gemm(bd.head(h), qv.head(h), drh.head(h), true, false, s, 0);
        }
        queryAndBiasGradients();
        mergeHeads(dkh, dkc, nB, nL);
        mergeHeads(dvh, dvc, nB, nL);
        mergeHeads(drh, drc, 1, nL);

        // Projections: weight gradients accumulate (β = 1); dSrc gets the key, value and (segment rows) query paths.
        for (int b = 0; b < nB; b++) Nd4j.gemm(dqc.pair(0, b), segmentRows(src, b), wq.grad(), true, false, 1, 1);
        Nd4j.gemm(dkc.all(), src, wk.grad(), true, false, 1, 1);
        Nd4j.gemm(dvc.all(), src, wv.grad(), true, false, 1, 1);
        Nd4j.gemm(drc.all(), pos.all(), wr.grad(), true, false, 1, 1);
        Nd4j.gemm(dkc.all(), wk.value(), dsrc.all(), false, false, 1, 0);
        Nd4j.gemm(dvc.all(), wv.value(), dsrc.all(), false, false, 1, 1);
        for (int b = 0; b < nB; b++)
            Nd4j.gemm(dqc.pair(0, b), wq.value(), segmentRows(dsrc.all(), b), false, false, 1, 1);
        return dsrc.all();
    }

    /**
     * In place over dscore: dAtt → dS = att ⊙ (dAtt − Σ_j att·dAtt) (zero on masked keys). Then the reverse of the
     * shift into bd: dBD[i, ρ] = dS[i, ρ − (T−1−i)], zero for offsets more negative than key 0 (never read).
     */
    private void softmaxBackwardUnshift() {
        Mem a = att.mem(), g = dscore.mem(), p = bd.mem();
        for (int hb = 0; hb < nHeads * nB; hb++) {
            for (int i = 0; i < nT; i++) {
                int row = (hb * nT + i) * nL;
                int shift = nT - 1 - i;
                int visible = nM + i + 1;
                double dot = 0;
                for (int j = 0; j < visible; j++) dot += a.get(row + j) * g.get(row + j);
                for (int j = 0; j < visible; j++) g.set(row + j, a.get(row + j) * (g.get(row + j) - dot));
                for (int j = visible; j < nL; j++) g.set(row + j, 0);
                for (int r = 0; r < shift; r++) p.set(row + r, 0);
                for (int r = shift; r < nL; r++) p.set(row + r, g.get(row + r - shift));
            }
        }
    }

    /** dq = scale·(G1 + G2) into concatenated layout; du, dv and dscale accumulated into the parameter gradients. */
    private void queryAndBiasGradients() {
        Mem x1 = g1.mem(), x2 = g2.mem(), qU = qu.mem(), qV = qv.mem(), dq = dqc.mem();
        double s = scaleUsed;
        double[] du = new double[inner], dv = new double[inner];
        double dScale = 0;
        for (int h = 0; h < nHeads; h++)
            for (int b = 0; b < nB; b++)
                for (int i = 0; i < nT; i++) {
                    int hd = ((h * nB + b) * nT + i) * hs;     // g1, g2, qu, qv are all [H, B, T, hs]
                    int cc = (b * nT + i) * inner + h * hs;    // dqc is [B·T, H·hs]
                    for (int c = 0; c < hs; c++) {
                        double a1 = x1.get(hd + c), a2 = x2.get(hd + c);
                        dScale += qU.get(hd + c) * a1 + qV.get(hd + c) * a2;
                        du[h * hs + c] += a1;
                        dv[h * hs + c] += a2;
                        dq.set(cc + c, s * (a1 + a2));
                    }
                }
        Mem gu = Mem.of(contentBias.grad()), gv = Mem.of(positionBias.grad());
        for (int k = 0; k < inner; k++) { gu.add(k, s * du[k]); gv.add(k, s * dv[k]); }
        Mem.of(scale.grad()).add(0, dScale);
    }

    // ----------------------------------------------------------------------------------------- layout helpers

    /** Sizes every buffer for the current (B, M, T); a no-op when the shapes did not change. */
    private void reshape() {
        int bt = nB * nT, bl = nB * nL;
        qc.shape(1, nB, nT, inner); kc.shape(1, nB, nL, inner); vc.shape(1, nB, nL, inner);
        pos.shape(1, 1, nL, d); rc.shape(1, 1, nL, inner);
        qu.shape(nHeads, nB, nT, hs); qv.shape(nHeads, nB, nT, hs);
        kh.shape(nHeads, nB, nL, hs); vh.shape(nHeads, nB, nL, hs); rh.shape(nHeads, 1, nL, hs);
        att.shape(nHeads, nB, nT, nL); bd.shape(nHeads, nB, nT, nL);
        oh.shape(nHeads, nB, nT, hs); oc.shape(1, 1, bt, inner); out.shape(1, 1, bt, d);
        doc.shape(1, 1, bt, inner); doh.shape(nHeads, nB, nT, hs); dscore.shape(nHeads, nB, nT, nL);
        dvh.shape(nHeads, nB, nL, hs); dkh.shape(nHeads, nB, nL, hs); drh.shape(nHeads, 1, nL, hs);
        g1.shape(nHeads, nB, nT, hs); g2.shape(nHeads, nB, nT, hs);
        dqc.shape(1, nB, nT, inner); dkc.shape(1, 1, bl, inner); dvc.shape(1, 1, bl, inner);
        drc.shape(1, 1, nL, inner); dsrc.shape(1, 1, bl, d);
        if (rowScratch.length < nL) rowScratch = new double[nL];
    }

    /** The segment (query) rows of stream b inside an array laid out like src. */
    private INDArray segmentRows(INDArray x, int b) {
        return x.get(NDArrayIndex.interval((long) b * nL + nM, (long) (b + 1) * nL), NDArrayIndex.all());
    }

    /** [streams·rows, H·hs] → [H, streams, rows, hs]. */
    private void splitHeads(AttentionBuffer from, AttentionBuffer to, int streams, int rows) {
        Mem f = from.mem(), t = to.mem();
        for (int b = 0; b < streams; b++)
            for (int r = 0; r < rows; r++) {
                int fr = (b * rows + r) * inner;
                for (int h = 0; h < nHeads; h++) {
                    int tr = ((h * streams + b) * rows + r) * hs, fh = fr + h * hs;
                    for (int c = 0; c < hs; c++) t.set(tr + c, f.get(fh + c));
                }
            }
    }

    /** [H, streams, rows, hs] → [streams·rows, H·hs]. */
    private void mergeHeads(AttentionBuffer from, AttentionBuffer to, int streams, int rows) {
        Mem f = from.mem(), t = to.mem();
        for (int b = 0; b < streams; b++)
            for (int r = 0; r < rows; r++) {
                int tr = (b * rows + r) * inner;
                for (int h = 0; h < nHeads; h++) {
                    int fr = ((h * streams + b) * rows + r) * hs, th = tr + h * hs;
                    for (int c = 0; c < hs; c++) t.set(th + c, f.get(fr + c));
                }
            }
    }

    /** qc → qu = q + u and qv = q + v, both head-major. */
    private void splitQueries() {
        Mem f = qc.mem(), tu = qu.mem(), tv = qv.mem();
        Mem u = Mem.of(contentBias.value()), v = Mem.of(positionBias.value());
        for (int b = 0; b < nB; b++)
            for (int i = 0; i < nT; i++) {
                int fr = (b * nT + i) * inner;
                for (int h = 0; h < nHeads; h++) {
                    int tr = ((h * nB + b) * nT + i) * hs, fh = fr + h * hs, bh = h * hs;
                    for (int c = 0; c < hs; c++) {
                        double q = f.get(fh + c);
                        tu.set(tr + c, q + u.get(bh + c));
                        tv.set(tr + c, q + v.get(bh + c));
                    }
                }
            }
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
