package sigmoe.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * What the driver broadcasts at the start of a round: the averaged parameters and Adam moments (flat, in the
 * ParamStore layout) and the global step every slice resumes from. It travels as a {@link Wire}: the arrays as bulk
 * bytes ({@link ArrayIO}).
 */
public record RoundState(long step, long adamStep, float[] params, float[] m, float[] v) implements Serializable {
    private Object writeReplace() { return new Wire(this); }

    /** The serialised form of a RoundState. */
    private static final class Wire implements Serializable {
        private static final long serialVersionUID = 1L;
        private transient RoundState state;

        Wire(RoundState state) { this.state = state; }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.writeLong(state.step);
            out.writeLong(state.adamStep);
            ArrayIO.writeFloats(out, state.params);
            ArrayIO.writeFloats(out, state.m);
            ArrayIO.writeFloats(out, state.v);
        }

        private void readObject(ObjectInputStream in) throws IOException {
            state = new RoundState(in.readLong(), in.readLong(), ArrayIO.readFloats(in), ArrayIO.readFloats(in), ArrayIO.readFloats(in));
        }

        private Object readResolve() { return state; }
    }
}
