package sigmoe.nn.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.nn.Rng;

/**
 * The FLOAT kernels (Vector API, split into parallel row blocks) against the generic DOUBLE loops, on sizes large
 * enough for several blocks, widths with vector tails, and row-range views with an offset.
 */
class RowOpsTest {
    @Test
    void floatKernelsMatchGenericOnes() {
        for (int w : new int[] {37, 412}) {
            int rows = 4 * 65536 / w, cnt = rows * 7 / 8, pad = 3; // 4 blocks of ≈64k elements: split across every pool thread
            int[] idx = distinctRows(rows, cnt, w);
            double[] gate = new double[cnt + 7], dgF = new double[cnt + 7], dgD = new double[cnt + 7];
            Rng r = new Rng(w);
            for (int i = 0; i < gate.length; i++) gate[i] = r.nextDouble();
            INDArray[] f = new INDArray[2], d = new INDArray[2];
            // src with an offset view, dst fresh
            INDArray srcD = MoeFixture.randn(DataType.DOUBLE, rows + pad, w, 1, 1.0);
            INDArray srcF = srcD.castTo(DataType.FLOAT);
            INDArray sD = MoeWorkspace.rows(srcD, pad, rows + pad), sF = MoeWorkspace.rows(srcF, pad, rows + pad);
            for (int k = 0; k < 2; k++) { d[k] = org.nd4j.linalg.factory.Nd4j.create(DataType.DOUBLE, cnt, w); f[k] = d[k].castTo(DataType.FLOAT); }

            RowOps.gatherRows(sD, idx, 7, cnt - 7, d[0], w);
            RowOps.gatherRows(sF, idx, 7, cnt - 7, f[0], w);
            close("gather", d[0], f[0], 1e-6);
            double[] src = MoeFixture.arr(srcD), got = MoeFixture.arr(d[0]);
            for (int i = 0; i < cnt - 7; i++)
                for (int c = 0; c < w; c++) assertTrue(got[i * w + c] == src[(pad + idx[7 + i]) * w + c], "gathered row " + i);

            RowOps.reluGate(d[0], d[1], gate, 7, cnt - 7, w);
            RowOps.reluGate(f[0], f[1], gate, 7, cnt - 7, w);
            close("relu", d[0], f[0], 1e-6);
            close("gate", d[1], f[1], 1e-6);

            INDArray uD = d[1].dup(), uF = f[1].dup();
            d[1].assign(0);
            f[1].assign(0);
            RowOps.gate(d[0], d[1], gate, 7, cnt - 7, w);
            RowOps.gate(f[0], f[1], gate, 7, cnt - 7, w);
            close("gate only (D)", d[1], uD, 0);
            close("gate only (F)", f[1], uF, 0);

            INDArray duD = MoeFixture.randn(DataType.DOUBLE, cnt, w, 2, 1.0), duF = duD.castTo(DataType.FLOAT);
            RowOps.gateBackward(duD, d[0], gate, dgD, 7, cnt - 7, w);
            RowOps.gateBackward(duF, f[0], gate, dgF, 7, cnt - 7, w);
            close("dA", duD, duF, 1e-6);
            for (int i = 0; i < dgD.length; i++) assertTrue(Math.abs(dgD[i] - dgF[i]) < 1e-4 * (1 + Math.abs(dgD[i])), "dgate " + i);

            // combine: 3 slots per token over the rows of duD, some empty
            int tokens = cnt / 3;
            int[] slotRow = new int[tokens * 3];
            for (int i = 0; i < slotRow.length; i++) slotRow[i] = i % 7 == 3 ? -1 : idx[i] % cnt;
            for (boolean acc : new boolean[] {false, true}) {
                INDArray yD = MoeFixture.randn(DataType.DOUBLE, tokens + pad, w, 3, 1.0), yF = yD.castTo(DataType.FLOAT);
                double[] y0 = MoeFixture.arr(yD), du = MoeFixture.arr(duD);
                RowOps.combine(duD, slotRow, tokens, 3, MoeWorkspace.rows(yD, pad, tokens + pad), w, acc);
                RowOps.combine(duF, slotRow, tokens, 3, MoeWorkspace.rows(yF, pad, tokens + pad), w, acc);
                close("combine", yD, yF, 1e-5);
                double[] res = MoeFixture.arr(yD);
                for (int t = 0; t < tokens; t++)
                    for (int c = 0; c < w; c += 5) {
                        double want = acc ? y0[(pad + t) * w + c] : 0;
                        for (int j = 0; j < 3; j++) if (slotRow[t * 3 + j] >= 0) want += du[slotRow[t * 3 + j] * w + c];
                        assertTrue(Math.abs(want - res[(pad + t) * w + c]) < 1e-12, "combine token " + t);
                    }
                for (int c = 0; c < pad * w; c++) assertTrue(res[c] == y0[c], "rows before the view untouched");
            }

            long[] cD = new long[w + 2], cF = new long[w + 2];
            RowOps.countPositive(d[1], cnt, w, cD, 2);
            RowOps.countPositive(f[1], cnt, w, cF, 2);
            assertArrayEquals(cD, cF);
        }
    }

    /** The Vector API path reads through NIO views too: a temporary source must outlive the parallel combine. */
    @Test
    void combineKeepsATemporarySourceAliveUnderGc() throws InterruptedException {
        int rows = 64, w = 200, tokens = 4096, bad = 0, iterations = 0;
        int[] slotRow = new int[tokens];
        for (int t = 0; t < tokens; t++) slotRow[t] = (t * 7) % rows;
        INDArray out = org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, tokens, w);
        try (sigmoe.nn.GcChurn churn = new sigmoe.nn.GcChurn(rows, w)) {
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end) {
                float v = 1 + (iterations++ % 1000);
                RowOps.combine(sigmoe.nn.GcChurn.filled(DataType.FLOAT, rows, w, v), slotRow, tokens, 1, out, w, false);
                bad += sigmoe.nn.GcChurn.countNot(out, v);
            }
        }
        assertTrue(bad == 0, bad + " elements combined wrong from a collected source in " + iterations + " iterations");
    }

    private static int[] distinctRows(int rows, int cnt, int seed) {
        int[] perm = new int[rows];
        for (int i = 0; i < rows; i++) perm[i] = i;
        Rng r = new Rng(seed);
        for (int i = rows - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        return java.util.Arrays.copyOf(perm, cnt);
    }

    private static void close(String what, INDArray d, INDArray f, double tol) {
        double[] a = MoeFixture.arr(d), b = MoeFixture.arr(f);
        for (int i = 0; i < a.length; i++)
            assertTrue(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(a[i])), what + "[" + i + "]: " + a[i] + " vs " + b[i]);
    }
}
