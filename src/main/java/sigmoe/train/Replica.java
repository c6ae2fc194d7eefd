package sigmoe.train;

import java.lang.ref.Reference;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.model.ParamCount;
import sigmoe.model.TransformerXL;
import sigmoe.nn.Mem;
import sigmoe.nn.Param;
import sigmoe.nn.Rng;

/**
 * One model replica training one slice of the streams: parameters, Adam moments, XL memory, stream cursor and RNG.
 * The single-process trainer is one replica over all streams; the Spark trainer keeps one per slice on its
 * executor. {@link #step} is the whole training step, read top to bottom.
 */
public final class Replica {
    /** System property naming a {@link FaultHook} class to install in this JVM (tests start executors with it). */
    public static final String FAULT_HOOK_PROPERTY = "sigmoe.test.fault_hook";

    private static volatile FaultHook faultHook = hookFromProperty();

    public final TransformerXL model;
    public final Adam adam;
    public final SegmentStreams streams;
    public final Rng rng;
    private final int[] inputs, targets;
    private final int memRows;
    private long step;
    private int skipRun;

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

    /** XL memory rows per stream in training. */
    public int memRows() { return memRows; }

    /** Skipped (non-finite) steps in a row up to now; 0 after an applied step. */
    public int consecutiveSkips() { return skipRun; }

    /**
     * One step: next batch of the slice's streams (memory reset at the start of each pass), forward with a memory of
     * the configured length, backward of mean CE + γ·Σ regularisers, global-norm clipping, Adam. A non-finite loss or gradient
     * norm leaves the parameters untouched and is reported in the result.
     */
    public StepResult step(LrSchedule schedule, double gradClip) { return step(schedule, gradClip, null); }

    /**
     * A step whose {@code sync} runs between forward and backward (the Spark trainer's global entropy regulariser
     * exchanges each σ-MoE layer's softmax sums there); null for none. The sync runs at every step, whatever the
     * loss, because the other slices wait for it.
     *
     * <p>A skipped step still consumes its batch (the cursor advances, so every slice stays on the same batch index)
     * but changes no parameter, moment or Adam step; a non-finite loss also takes the segment back out of the XL
     * memory. The result's {@code fault} names where the non-finite value first appeared: for the loss, the first
     * sub-layer of a diagnostic forward ({@link TransformerXL#firstNonFinite}); for the gradient, the first parameter
     * in layer order whose gradient is not finite.
     */
    public StepResult step(LrSchedule schedule, double gradClip, BeforeBackward sync) {
        int seg = streams.segmentLength();
        FaultHook hook = faultHook;
        if (hook != null) hook.beforeForward(this, step);
        if (streams.startsEpoch(step)) model.resetMemory();
        streams.batch(step, inputs, targets);
        model.params.zeroGrads();
        TransformerXL.Loss loss = model.forward(inputs, targets, streams.width(), seg, memRows, true, rng);
        double reg = sync != null ? sync.exchange(model, loss) : loss.reg();
        loss = new TransformerXL.Loss(loss.ceSum(), loss.count(), reg);
        double total = loss.meanCe() + loss.reg();
        double lr = schedule.at(step);
        if (!Double.isFinite(total)) {
            model.rollbackMemory();
            String where = model.firstNonFinite(inputs, targets, streams.width(), seg);
            String fault = "non-finite loss (cross-entropy " + loss.meanCe() + ", regulariser " + loss.reg() + "): "
                    + (where != null ? "first non-finite output in " + where
                    : "every layer output was finite in a diagnostic forward without dropout (a transient fault, or a "
                    + "non-finite regulariser received from another slice)");
            skipRun++;
            return StepResult.skipped(step++, loss, lr, Double.NaN, fault);
        }
        model.backward(1.0 / Math.max(1, loss.count()));
        if (hook != null) hook.afterBackward(this, step);
        double norm = GradClip.clip(model.params.grads(), gradClip);
        if (!Double.isFinite(norm)) {
            skipRun++;
            return StepResult.skipped(step++, loss, lr, norm, "non-finite gradient (norm " + norm + "): first in "
                    + firstNonFiniteGradient());
        }
        adam.update(lr);
        skipRun = 0;
        return new StepResult(step++, loss.ceSum(), loss.count(), loss.reg(), lr, norm, true, null);
    }

    /**
     * The first parameter in layer order whose gradient holds a NaN or an infinity: the forward order of formats.md
     * (embedding, then per layer norm1, attn, norm2, ffn, then final_norm, output), not the store's registration
     * order (which registers each layer's FFN first).
     */
    String firstNonFiniteGradient() {
        java.util.List<String> order = new java.util.ArrayList<>(ParamCount.tensorShapes(model.cfg).keySet());
        for (Param p : model.params.params()) if (!order.contains(p.name)) order.add(p.name);
        for (String name : order) {
            if (!model.params.has(name)) continue;
            INDArray grad = model.params.get(name).grad();
            Mem g = Mem.of(grad);
            try {
                for (int i = 0; i < g.length; i++) if (!Double.isFinite(g.get(i))) return name;
            } finally {
                Reference.reachabilityFence(grad);
            }
        }
        return "(none: the norm overflowed although every gradient is finite)";
    }

    /** Work between forward and backward; returns the regulariser's value as it will be differentiated. */
    public interface BeforeBackward {
        double exchange(TransformerXL model, TransformerXL.Loss local);
    }

    /**
     * What one step did: summed CE, scored tokens, regulariser, learning rate, gradient norm before clipping; for a
     * skipped step ({@code applied} false) {@code fault} says what was not finite and where.
     */
    public record StepResult(long step, double ceSum, long tokens, double reg, double lr, double gradNorm, boolean applied,
                             String fault) {
        static StepResult skipped(long step, TransformerXL.Loss loss, double lr, double norm, String fault) {
            return new StepResult(step, loss.ceSum(), loss.count(), loss.reg(), lr, norm, false, fault);
        }
    }

    /**
     * Fault injection for tests (sigmoe.reliability): sees every step of every replica in this JVM. Installed with
     * {@link #setFaultHook} or, in a JVM the test does not control (a Spark executor), by naming a class with a public
     * no-argument constructor in the system property {@value #FAULT_HOOK_PROPERTY}. Never set in production.
     */
    public interface FaultHook {
        /** Before the step's forward (a hook may set a {@link TransformerXL.Probe}, or stop the JVM). */
        default void beforeForward(Replica r, long step) {}

        /** After the backward, before clipping (a hook may poison a gradient). */
        default void afterBackward(Replica r, long step) {}
    }

    /** Installs (or with null removes) the fault hook of this JVM; returns the previous one. */
    public static FaultHook setFaultHook(FaultHook h) {
        FaultHook old = faultHook;
        faultHook = h;
        return old;
    }

    private static FaultHook hookFromProperty() {
        String name = System.getProperty(FAULT_HOOK_PROPERTY);
        if (name == null || name.isBlank()) return null;
        try {
            return (FaultHook) Class.forName(name.trim()).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException(FAULT_HOOK_PROPERTY + "=" + name + ": not a Replica.FaultHook with a public "
                    + "no-argument constructor on the classpath", e);
        }
    }
}
