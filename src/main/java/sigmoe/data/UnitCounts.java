package sigmoe.data;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/** Occurrence counts of text units (words), mergeable across Spark partitions. */
public final class UnitCounts implements Serializable {
    private static final long serialVersionUID = 1L;
    // long[1] cells: one hash lookup per occurrence and no boxing while counting
    private final HashMap<String, long[]> counts = new HashMap<>();

    public void add(String unit) {
        add(unit, 1);
    }

    public void add(String unit, long n) {
        long[] c = counts.get(unit);
        if (c == null) counts.put(unit, new long[] {n});
        else c[0] += n;
    }

    /** Adds all of {@code other}'s counts into this; returns this. */
    public UnitCounts merge(UnitCounts other) {
        for (Map.Entry<String, long[]> e : other.counts.entrySet()) add(e.getKey(), e.getValue()[0]);
        return this;
    }

    public long get(String unit) {
        long[] c = counts.get(unit);
        return c == null ? 0 : c[0];
    }

    /** Number of distinct units. */
    public int size() {
        return counts.size();
    }

    public void forEach(ObjLongConsumer<String> f) {
        counts.forEach((k, v) -> f.accept(k, v[0]));
    }
}
