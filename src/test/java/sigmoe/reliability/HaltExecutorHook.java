package sigmoe.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import sigmoe.train.Replica;

/**
 * Executor loss, injected from inside: installed in executor JVMs with
 * {@code -Dsigmoe.test.fault_hook=sigmoe.reliability.HaltExecutorHook -Dsigmoe.test.halt_marker=FILE}. The first
 * replica to reach the step written in FILE deletes FILE (so exactly one JVM, once) and halts its JVM with
 * {@link Runtime#halt} — no shutdown hooks, no task failure report: to the driver the executor is simply gone. Before
 * halting it writes its PID to FILE.halted.
 */
public final class HaltExecutorHook implements Replica.FaultHook {
    static final String MARKER_PROPERTY = "sigmoe.test.halt_marker";

    @Override
    public void beforeForward(Replica r, long step) {
        String marker = System.getProperty(MARKER_PROPERTY);
        if (marker == null) return;
        Path p = Path.of(marker);
        try {
            if (!Files.exists(p) || Long.parseLong(Files.readString(p).trim()) != step) return;
            if (!Files.deleteIfExists(p)) return; // another replica of this or another JVM won the race
            Files.writeString(Path.of(marker + ".halted"), ProcessHandle.current().pid() + " " + step);
        } catch (IOException | NumberFormatException e) {
            return;
        }
        Runtime.getRuntime().halt(137);
    }
}
