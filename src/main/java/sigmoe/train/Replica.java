package sigmoe.train;

import sigmoe.model.TransformerXL;
import sigmoe.nn.Rng;

/**
 * One model replica training one slice of the streams: parameters, Adam moments, XL memory, stream cursor and RNG.
 * The single-process trainer is one replica over all streams; the Spark trainer keeps one per slice on its
 * executor. {@link #step} is the whole training step, read top to bottom.
 */
public final class Replica {
    public final TransformerXL model;
    public final Adam adam;
    public final SegmentStreams streams;
    public final Rng rng;
    private final int[] inputs, targets;
    private final int memRows;
    private long step;

    /** @param adam    the optimiser over {@code model.params}
     * @param memRows XL memory length in training (the paper: one segment) */
    public Replica(TransformerXL model, Adam adam, SegmentStreams streams, int memRows, long seed) {
        this.model = model;
        this.memRows = memRows;
        this.adam = adam;
        this.streams = streams;
        this.rng = new Rng(seed);
        int n = streams.width() * streams.segmentLength();
        this.inputs = new int[n];
        this.targets = new int[n];
    }

    /** Global step count (also the stream cursor: step p trains batch p of every stream). */
    public long step() { return step; }

    public void setStep(long s) { step = s; }

    /**
     * One step: next batch of the slice's streams (memory reset at the start of each pass), forward with a memory of
     * the configured length, backward of mean CE + γ·Σ regularisers, global-norm clipping, Adam. A non-finite loss or gradient
     * norm leaves the parameters untouched and is reported in the result.
     */
    public StepResult step(LrSchedule schedule, double gradClip) { return step(schedule, gradClip, null); }

    /**
     * A step whose {@code sync} runs between forward and backward (the Spark trainer's global entropy regulariser
     * exchanges each σ-MoE layer's softmax sums there); null for none.
     */
    public StepResult step(LrSchedule schedule, double gradClip, BeforeBackward sync) {
        int seg = streams.segmentLength();
        if (streams.startsEpoch(step)) model.resetMemory();
        streams.batch(step, inputs, targets);
        model.params.zeroGrads();
        TransformerXL.Loss loss = model.forward(inputs, targets, streams.width(), seg, memRows, true, rng);
        double reg = sync != null ? sync.exchange(model, loss) : loss.reg();
        loss = new TransformerXL.Loss(loss.ceSum(), loss.count(), reg);
        double total = loss.meanCe() + loss.reg();
        double lr = schedule.at(step);
        if (!Double.isFinite(total)) return StepResult.skipped(step++, loss, lr, Double.NaN);
        model.backward(1.0 / Math.max(1, loss.count()));
        double norm = GradClip.clip(model.params.grads(), gradClip);
        if (!Double.isFinite(norm)) return StepResult.skipped(step++, loss, lr, norm);
        adam.update(lr);
        return new StepResult(step++, loss.ceSum(), loss.count(), loss.reg(), lr, norm, true);
    }

    /** Work between forward and backward; returns the regulariser's value as it will be differentiated. */
    public interface BeforeBackward {
        double exchange(TransformerXL model, TransformerXL.Loss local);
    }

    /** What one step did: summed CE, scored tokens, regulariser, learning rate, gradient norm before clipping. */
    public record StepResult(long step, double ceSum, long tokens, double reg, double lr, double gradNorm, boolean applied) {
        static StepResult skipped(long step, TransformerXL.Loss loss, double lr, double norm) {
            return new StepResult(step, loss.ceSum(), loss.count(), loss.reg(), lr, norm, false);
        }
    }
}
