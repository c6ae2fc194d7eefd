package sigmoe.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The sum over slices of the flat state (k = 0 parameters, 1 Adam m, 2 Adam v) that treeAggregate carries. Up to
 * {@link #MAX_FLOAT_TERMS} slices it keeps their float arrays as they are — never more bytes than a double sum, and a
 * slice's own result crosses the network at half the bytes of one; beyond that it sums in double. Either way the
 * mean adds every index's terms in double, which is exact, and hence independent of Spark's combination order, unless
 * the values at one index span more than ~2^29/W in magnitude.
 */
final class StateSum implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int MAX_FLOAT_TERMS = 2;
    /** Slices' float states, in arrival order (order never affects the exact sum). */
    private transient List<float[][]> floats = new ArrayList<>();
    /** Double sum of the slices not in {@link #floats} (null while there are none). */
    private transient double[][] sum;
    private long terms;

    private StateSum() {}

    /** One slice's parameters, Adam m and Adam v (kept, not copied). */
    static StateSum of(float[] params, float[] m, float[] v) {
        StateSum s = new StateSum();
        s.floats.add(new float[][] {params, m, v});
        s.terms = 1;
        return s;
    }

    long terms() { return terms; }

    /** Adds {@code o}'s terms to this sum (o is left unusable). */
    void add(StateSum o) {
        if (o.sum != null) {
            toDouble();
            for (int k = 0; k < 3; k++) for (int i = 0; i < sum[k].length; i++) sum[k][i] += o.sum[k][i];
        }
        floats.addAll(o.floats);
        terms += o.terms;
        if (floats.size() > MAX_FLOAT_TERMS || (sum != null && !floats.isEmpty())) toDouble();
    }

    /** Moves every float term into the double sum. */
    private void toDouble() {
        if (sum == null) { // the first term is the start of the sum (not 0.0 + it: see mean)
            float[][] first = floats.remove(0);
            sum = new double[3][];
            for (int k = 0; k < 3; k++) {
                sum[k] = new double[first[k].length];
                for (int i = 0; i < first[k].length; i++) sum[k][i] = first[k][i];
            }
        }
        for (float[][] f : floats) for (int k = 0; k < 3; k++) for (int i = 0; i < f[k].length; i++) sum[k][i] += f[k][i];
        floats.clear();
    }

    /**
     * The mean over the {@code n} slices of array {@code k}, rounded to float: the next round's state. The mean of one
     * slice is its own array (the same bits: a float divided by 1 in double and rounded back).
     */
    float[] mean(int k, long n) {
        if (n != terms) throw new IllegalStateException("mean over " + n + " slices of a sum of " + terms);
        if (sum == null && floats.size() == 1) return floats.get(0)[k];
        int len = sum != null ? sum[k].length : floats.get(0)[k].length;
        float[] out = new float[len];
        double[] s = sum != null ? sum[k] : null;
        float[] a = s == null ? floats.get(0)[k] : null, b = s == null ? floats.get(1)[k] : null;
        // A sum of its terms only, never 0.0 + terms: a -0.0 survives where every slice holds -0.0, as one slice's does.
        if (s != null) for (int i = 0; i < len; i++) out[i] = (float) (s[i] / n);
        else for (int i = 0; i < len; i++) out[i] = (float) (((double) a[i] + b[i]) / n);
        return out;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        out.writeInt(floats.size());
        for (float[][] f : floats) for (float[] x : f) ArrayIO.writeFloats(out, x);
        out.writeBoolean(sum != null);
        if (sum != null) for (double[] x : sum) ArrayIO.writeDoubles(out, x);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        int n = in.readInt();
        if (n < 0 || n > MAX_FLOAT_TERMS) throw new IOException("StateSum: " + n + " float terms");
        floats = new ArrayList<>();
        for (int t = 0; t < n; t++) floats.add(new float[][] {ArrayIO.readFloats(in), ArrayIO.readFloats(in), ArrayIO.readFloats(in)});
        if (in.readBoolean()) sum = new double[][] {ArrayIO.readDoubles(in), ArrayIO.readDoubles(in), ArrayIO.readDoubles(in)};
    }
}
