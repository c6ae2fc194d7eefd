package sigmoe.spark;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import sigmoe.config.RunConfig;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.train.Replica;

/**
 * Executor-resident state (a static map in the executor JVM): the replica of each (run, slice) and the opened train
 * split of each corpus. It is a cache: a task that finds nothing rebuilds from the round's state (StateServer), so
 * correctness never depends on it (architecture.md).
 */
final class ReplicaRegistry {
    private static final Map<String, Replica> REPLICAS = new ConcurrentHashMap<>();
    private static final Map<String, TokenStream> TRAIN_SPLITS = new ConcurrentHashMap<>();
    private static final Map<String, RunConfig> CONFIGS = new ConcurrentHashMap<>();

    private ReplicaRegistry() {}

    static String key(String runId, int slice) { return runId + "/" + slice; }

    static Replica get(String runId, int slice) { return REPLICAS.get(key(runId, slice)); }

    /** Removes and returns the replica (null when absent): a task owns it until it puts it back. */
    static Replica take(String runId, int slice) { return REPLICAS.remove(key(runId, slice)); }

    static void put(String runId, int slice, Replica r) { REPLICAS.put(key(runId, slice), r); }

    /** Drops every replica of a run (the driver calls it at the end through a last job; also frees memory). */
    static void forget(String runId) { REPLICAS.keySet().removeIf(k -> k.startsWith(runId + "/")); }

    static RunConfig config(String runId, String json) { return CONFIGS.computeIfAbsent(runId, k -> RunConfig.parseJson(json)); }

    static TokenStream train(String dataUri) {
        return TRAIN_SPLITS.computeIfAbsent(dataUri, uri -> {
            try {
                return Corpus.open(uri).split("train");
            } catch (IOException e) {
                throw new IllegalStateException("executor could not open the train split of " + uri + ": " + e.getMessage(), e);
            }
        });
    }
}
