package sigmoe.perf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the samples of a JFR recording of {@link StepProfile} fall, by the innermost sigmoe method on the stack
 * (Java execution samples and native-method samples, i.e. time inside ND4J/OpenBLAS, separately), so a GEMM is
 * charged to the layer that called it. Usage: JfrSummary FILE.jfr [top=40]
 */
public final class JfrSummary {
    public static void main(String[] args) throws IOException {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        Map<String, Integer> java = new HashMap<>(), nat = new HashMap<>();
        int[] total = new int[2];
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            String type = e.getEventType().getName();
            boolean isNative = type.equals("jdk.NativeMethodSample");
            if (!isNative && !type.equals("jdk.ExecutionSample")) continue;
            if (e.getStackTrace() == null) continue;
            String key = "(outside sigmoe)";
            String leaf = null;
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            for (RecordedFrame f : frames) {
                String m = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                if (leaf == null) leaf = m;
                if (m.startsWith("sigmoe.") && !m.startsWith("sigmoe.perf.")) { key = m + ":" + f.getLineNumber(); break; }
            }
            if (!key.startsWith("(")) key = key + (isNative ? "" : "  [leaf " + shortName(leaf) + "]");
            (isNative ? nat : java).merge(key, 1, Integer::sum);
            total[isNative ? 1 : 0]++;
        }
        print("Java execution samples", java, total[0], top);
        print("native-method samples (ND4J / OpenBLAS calls)", nat, total[1], top);
    }

    private static String shortName(String m) {
        int i = m.lastIndexOf('.', m.lastIndexOf('.') - 1);
        return i < 0 ? m : m.substring(i + 1);
    }

    private static void print(String title, Map<String, Integer> m, int total, int top) {
        System.out.printf("%n## %s: %d%n", title, total);
        m.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(top)
                .forEach(e -> System.out.printf("%6.1f%%  %5d  %s%n", 100.0 * e.getValue() / total, e.getValue(), e.getKey()));
    }
}
