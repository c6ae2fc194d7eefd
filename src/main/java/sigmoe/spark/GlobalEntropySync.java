package sigmoe.spark;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import sigmoe.model.TransformerXL;
import sigmoe.nn.moe.EntropyReg;
import sigmoe.train.Replica;

/**
 * The paper's global entropy regulariser across Spark tasks (paper.md §1.3, pitfall 7): after each forward, every
 * slice shares each σ-MoE layer's Σ_t softmax(z_t) and its token count with BarrierTaskContext.allGather (N_E
 * doubles per layer); each slice then differentiates L(p_global) with its own token count as the normaliser, so the
 * mean of the slices' gradients is exactly the global batch's gradient. Runs inside a barrier stage.
 */
final class GlobalEntropySync implements Replica.BeforeBackward {
    private final int workers;

    GlobalEntropySync(int workers) { this.workers = workers; }

    @Override
    public double exchange(TransformerXL model, TransformerXL.Loss local) {
        List<EntropyReg> regs = new ArrayList<>();
        List<Double> gammas = new ArrayList<>();
        for (var f : model.ffns())
            if (f instanceof sigmoe.model.FeedForwards.SigmaMoe m && m.moe().entropyReg > 0) {
                regs.add(m.moe().entropy());
                gammas.add(m.moe().entropyReg);
            }
        if (regs.isEmpty()) return local.reg();
        int ne = regs.get(0).softmaxSum().length;
        ByteBuffer buf = ByteBuffer.allocate(8 * (1 + regs.size() * ne));
        buf.putDouble(regs.get(0).tokens());
        for (EntropyReg r : regs) for (double s : r.softmaxSum()) buf.putDouble(s);
        String[] all = BarrierTaskContext.get().allGather(Base64.getEncoder().encodeToString(buf.array()));
        if (all.length != workers) throw new IllegalStateException("allGather returned " + all.length + " slices, expected " + workers);
        double tokens = 0;
        double[][] sums = new double[regs.size()][ne];
        for (String s : all) {
            ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s));
            tokens += b.getDouble();
            for (double[] layer : sums) for (int e = 0; e < ne; e++) layer[e] += b.getDouble();
        }
        double reg = 0;
        for (int l = 0; l < regs.size(); l++) {
            double[] logP = EntropyReg.logMean(sums[l], tokens);
            regs.get(l).setGlobal(logP, regs.get(l).tokens());
            reg += gammas.get(l) * EntropyReg.loss(logP);
        }
        return reg;
    }
}
