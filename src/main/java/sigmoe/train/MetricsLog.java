package sigmoe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * metrics.jsonl: one JSON object per logged round. Kept in memory and rewritten atomically on every append (the file
 * is small: one line per round) so it works on file systems without append; on resume, lines after the checkpoint's
 * step are dropped so the curve stays continuous.
 */
public final class MetricsLog {
    static final ObjectMapper JSON = new ObjectMapper();
    private final RunDirectory dir;
    private final List<String> lines = new ArrayList<>();

    public MetricsLog(RunDirectory dir, long keepUpToStep) throws IOException {
        this.dir = dir;
        String old = keepUpToStep >= 0 ? dir.readString("metrics.jsonl") : null;
        if (old != null) {
            for (String l : old.split("\n")) {
                if (l.isBlank()) continue;
                if (JSON.readTree(l).path("step").asLong(Long.MAX_VALUE) <= keepUpToStep) lines.add(l);
            }
        }
    }

    public void append(Map<String, Object> record) throws IOException {
        lines.add(JSON.writeValueAsString(record));
        dir.writeAtomically("metrics.jsonl", (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
