package sigmoe.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads metrics.jsonl (one JSON object per logged round) into {@link Round}s. Only {@code step} and {@code loss}
 * are required: the single-process and the Spark trainer write different optional fields, and every numeric
 * top-level field that is not a known one is kept in {@link Round#extras()} so the report can plot it.
 * Non-finite numbers are accepted both as Jackson writes them ("NaN" strings) and bare. Any other problem is a
 * {@link ReportException} naming the file and the 1-based line.
 */
public final class MetricsParser {
    /** Fields with a meaning of their own; everything else numeric is an extra. */
    static final Set<String> KNOWN = Set.of("round", "step", "loss", "reg", "lr", "grad_norm", "tokens", "tokens_per_s",
            "valid_loss", "experts");
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final int EXCERPT = 80;

    private MetricsParser() {}

    /**
     * @param text the file's contents
     * @param file the file's name or URI, for messages
     * @return the rounds in file order, at least one
     */
    public static List<Round> parse(String text, String file) {
        List<Round> rounds = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (l.isBlank()) continue;
            rounds.add(parseLine(l, i + 1, rounds.size(), file));
        }
        if (rounds.isEmpty())
            throw new ReportException(file + " has no rounds: the run has not logged its first round yet "
                    + "(train.log_interval steps), or this is not a run directory's metrics file");
        checkExpertCounts(rounds, file);
        return Collections.unmodifiableList(rounds);
    }

    static Round parseLine(String text, int line, int index, String file) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad(file, line, "not valid JSON (" + e.getOriginalMessage() + "): " + excerpt(text), e);
        }
        if (n == null || !n.isObject()) throw bad(file, line, "expected one JSON object per line, found: " + excerpt(text), null);
        Field f = new Field(file, line);
        double round = f.number(n, "round", false);
        double step = f.number(n, "step", true);
        if (!isWhole(step) || step < 0) throw bad(file, line, "\"step\" must be a non-negative integer, found " + n.get("step"), null);
        if (!Double.isNaN(round) && (!isWhole(round) || round < 0))
            throw bad(file, line, "\"round\" must be a non-negative integer, found " + n.get("round"), null);
        Map<String, Double> extras = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (KNOWN.contains(e.getKey())) continue;
            double v = numeric(e.getValue());
            if (!Double.isNaN(v) || isNanText(e.getValue())) extras.put(e.getKey(), v);
        }
        return new Round(line, Double.isNaN(round) ? index : (long) round, (long) step, f.number(n, "loss", true),
                f.number(n, "reg", false), f.number(n, "lr", false), f.number(n, "grad_norm", false),
                f.number(n, "tokens", false), f.number(n, "tokens_per_s", false), f.number(n, "valid_loss", false),
                experts(n.get("experts"), f), Collections.unmodifiableMap(extras));
    }

    private static List<LayerLoad> experts(JsonNode arr, Field f) {
        if (arr == null || arr.isNull()) return List.of();
        if (!arr.isArray()) throw bad(f.file, f.line, "\"experts\" must be an array of per-layer objects, found " + excerpt(arr.toString()), null);
        List<LayerLoad> out = new ArrayList<>();
        Set<Integer> seen = new java.util.HashSet<>();
        for (JsonNode e : arr) {
            if (!e.isObject()) throw bad(f.file, f.line, "each \"experts\" entry must be an object, found " + excerpt(e.toString()), null);
            double layer = f.number(e, "layer", true);
            if (!isWhole(layer) || layer < 0) throw bad(f.file, f.line, "experts \"layer\" must be a non-negative integer, found " + e.get("layer"), null);
            if (!seen.add((int) layer)) throw bad(f.file, f.line, "experts: layer " + (int) layer + " appears twice", null);
            JsonNode c = e.get("counts");
            if (c == null || !c.isArray() || c.isEmpty())
                throw bad(f.file, f.line, "experts of layer " + (int) layer + ": \"counts\" must be a non-empty array of selection counts", null);
            long[] counts = new long[c.size()];
            for (int i = 0; i < counts.length; i++) {
                JsonNode v = c.get(i);
                if (!v.isNumber() || !isWhole(v.doubleValue()) || v.doubleValue() < 0)
                    throw bad(f.file, f.line, "experts of layer " + (int) layer + ": counts[" + i + "] = " + v + " is not a non-negative integer", null);
                counts[i] = v.longValue();
            }
            out.add(LayerLoad.of((int) layer, counts, f.number(e, "usage_rel_perplexity", false),
                    f.number(e, "dead_fraction", false), f.number(e, "min_load", false), f.number(e, "max_load", false)));
        }
        out.sort((a, b) -> Integer.compare(a.layer(), b.layer()));
        return Collections.unmodifiableList(out);
    }

    /** A layer keeps its number of experts for the whole run; a change means lines of different runs were mixed. */
    private static void checkExpertCounts(List<Round> rounds, String file) {
        Map<Integer, Round> first = new HashMap<>();
        for (Round r : rounds) {
            for (LayerLoad l : r.experts()) {
                Round f = first.putIfAbsent(l.layer(), r);
                if (f == null) continue;
                int n = f.experts().stream().filter(x -> x.layer() == l.layer()).findFirst().orElseThrow().nExperts();
                if (n != l.nExperts())
                    throw bad(file, r.line(), "layer " + l.layer() + " has " + l.nExperts() + " experts but " + n + " on line "
                            + f.line() + ": metrics of different runs mixed in one file?", null);
            }
        }
    }

    /** Numeric field access with line-aware errors. */
    private record Field(String file, int line) {
        double number(JsonNode obj, String name, boolean required) {
            JsonNode v = obj.get(name);
            if (v == null || v.isNull()) {
                if (required) throw bad(file, line, "missing the number \"" + name + "\"", null);
                return Double.NaN;
            }
            double d = numeric(v);
            if (Double.isNaN(d) && !isNanText(v))
                throw bad(file, line, "\"" + name + "\" must be a number, found " + excerpt(v.toString()), null);
            return d;
        }
    }

    /** A number node's value, a non-finite number written as text, or NaN for anything else. */
    private static double numeric(JsonNode v) {
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) {
            switch (v.textValue()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private static boolean isNanText(JsonNode v) {
        return v.isTextual() && "NaN".equals(v.textValue()) || v.isNumber() && Double.isNaN(v.doubleValue());
    }

    private static boolean isWhole(double d) {
        return Double.isFinite(d) && d == Math.rint(d);
    }

    private static String excerpt(String s) {
        return s.length() <= EXCERPT ? s : s.substring(0, EXCERPT) + "...";
    }

    private static ReportException bad(String file, int line, String problem, Throwable cause) {
        return new ReportException(file + " line " + line + ": " + problem, cause);
    }
}
