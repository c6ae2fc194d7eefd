package sigmoe.spark;

import java.util.ArrayList;
import java.util.List;
import sigmoe.model.TransformerXL;
import sigmoe.nn.moe.EntropyReg;
import sigmoe.train.Replica;

/**
 * The paper's global entropy regulariser across Spark tasks (paper.md §1.3, pitfall 7): after each forward, every
 * slice sums each σ-MoE layer's Σ_t softmax(z_t) and its token count with the other slices through the driver's
 * {@link AllReduceServer} (N_E doubles per layer); each slice then differentiates L(p_global) with its own token
 * count as the normaliser, so the mean of the slices' gradients is exactly the global batch's gradient. A slice with
 * non-finite sums contributes nothing that step (p is then the other slices' mean). Runs inside
 * a barrier stage, which starts all slices together and retries them together.
 */
final class GlobalEntropySync implements Replica.BeforeBackward {
    private final AllReduceClient client;
    private long calls;

    GlobalEntropySync(AllReduceClient client) { this.client = client; }

    @Override
    public double exchange(TransformerXL model, TransformerXL.Loss local) {
        List<EntropyReg> regs = new ArrayList<>();
        List<Double> gammas = new ArrayList<>();
        double ownRegs = 0; // layers whose selection rule has its own regulariser (Switch, ...) stay local
        for (var f : model.ffns())
            if (f instanceof sigmoe.model.FeedForwards.SigmaMoe m && m.moe().entropyReg > 0) {
                if (!m.moe().entropyActive()) { ownRegs += f.regLoss(); continue; }
                regs.add(m.moe().entropy());
                gammas.add(m.moe().entropyReg);
            }
        if (regs.isEmpty()) return local.reg();
        int ne = regs.get(0).softmaxSum().length;
        double[] mine = new double[1 + regs.size() * ne];
        mine[0] = regs.get(0).tokens();
        for (int l = 0; l < regs.size(); l++) System.arraycopy(regs.get(l).softmaxSum(), 0, mine, 1 + l * ne, ne);
        // A slice whose forward went non-finite will skip this step anyway (its own gradient is non-finite); it
        // stays out of the global sums, so its NaN does not make every other slice skip too.
        for (double v : mine) if (!Double.isFinite(v)) { java.util.Arrays.fill(mine, 0); break; }
        double[] all = client.sum(calls++, mine);
        double tokens = all[0];
        double[][] sums = new double[regs.size()][ne];
        for (int l = 0; l < regs.size(); l++) System.arraycopy(all, 1 + l * ne, sums[l], 0, ne);
        double reg = ownRegs;
        for (int l = 0; l < regs.size(); l++) {
            double[] logP = EntropyReg.logMean(sums[l], tokens);
            regs.get(l).setGlobal(logP, regs.get(l).tokens());
            reg += gammas.get(l) * EntropyReg.loss(logP);
        }
        return reg;
    }
}
