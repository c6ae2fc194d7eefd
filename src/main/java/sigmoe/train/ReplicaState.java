package sigmoe.train;

import java.io.IOException;
import org.nd4j.linalg.api.ndarray.INDArray;
import sigmoe.model.CheckpointState;
import sigmoe.model.SafetensorsException;
import sigmoe.model.TransformerXL;

/**
 * A replica's trainer state beside the model file (formats.md §2: the model file stays a model file): Adam moments
 * and step, the stream cursor, the RNG state and the XL memory, so a resumed run continues bit for bit.
 */
public final class ReplicaState {
    private ReplicaState() {}

    public static void write(Replica r, String uri, boolean withMoments) throws IOException {
        CheckpointState s = new CheckpointState();
        if (withMoments) {
            s.putArray("adam.m", r.adam.m());
            s.putArray("adam.v", r.adam.v());
        }
        s.setLong("adam.step", r.adam.step());
        s.setLong("step", r.step());
        s.setLong("rng", r.rng.state());
        TransformerXL.Memory mem = r.model.saveMemory();
        s.setLong("memory.batch", mem.batch());
        s.setLong("memory.length", mem.length());
        for (int l = 0; l < mem.layers().length; l++)
            if (mem.length() > 0) s.putArray("memory.layer" + l, mem.layers()[l]);
        s.write(uri);
    }

    /** Restores what {@link #write} saved; the parameters come from the model file. */
    public static void read(Replica r, String uri) throws IOException {
        CheckpointState s = CheckpointState.read(uri);
        if (s.has("adam.m")) {
            s.readInto("adam.m", r.adam.m());
            s.readInto("adam.v", r.adam.v());
        }
        r.adam.setStep(s.getLong("adam.step"));
        r.setStep(s.getLong("step"));
        r.rng.setState(s.getLong("rng"));
        long batchL = s.getLong("memory.batch"), lenL = s.getLong("memory.length");
        int layers = r.model.cfg.nLayers();
        INDArray[] rows = new INDArray[layers];
        if (lenL > 0) {
            // Sizes from the file are untrusted: they must be this replica's and match the stored tensors before
            // anything is allocated from them.
            if (batchL != r.streams.width() || lenL > r.memRows())
                throw new SafetensorsException(uri + ": __metadata__.memory.batch = " + batchL + " / memory.length = " + lenL
                        + " do not fit this replica (" + r.streams.width() + " streams, a memory of at most " + r.memRows()
                        + " rows): a trainer state from another configuration");
            long[] expected = {batchL * lenL, r.model.cfg.dModel()};
            for (int l = 0; l < layers; l++)
                if (!s.has("memory.layer" + l) || !java.util.Arrays.equals(s.shape("memory.layer" + l), expected))
                    throw new SafetensorsException(uri + ": tensor memory.layer" + l + " should have shape "
                            + java.util.Arrays.toString(expected) + ", found " + (s.has("memory.layer" + l)
                            ? java.util.Arrays.toString(s.shape("memory.layer" + l)) : "no such tensor"));
        }
        int batch = (int) batchL, len = (int) lenL;
        if (len > 0) {
            for (int l = 0; l < layers; l++) {
                rows[l] = org.nd4j.linalg.factory.Nd4j.create(r.model.params.dtype(), (long) batch * len, r.model.cfg.dModel());
                s.readInto("memory.layer" + l, rows[l]);
            }
        }
        r.model.restoreMemory(new TransformerXL.Memory(batch, len, rows));
    }
}
