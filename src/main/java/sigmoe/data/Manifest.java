package sigmoe.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code manifest.json} of a prepared corpus (formats.md §1): tokenizer, vocabulary size and, per split, its
 * shards in stream order. Extra keys written by us: {@code bytes_per_token}, per split {@code unk_tokens}
 * (word tokenizers) and the tokenizer's parameters. Unknown keys are ignored when reading.
 *
 * @param tokenizerKind   "word", "byte" or "bpe"
 * @param tokenizerParams the other keys of the "tokenizer" object, in file order
 * @param splits          split name -> split, in file order (prepare writes train, valid, test)
 */
public record Manifest(String tokenizerKind, Map<String, Object> tokenizerParams, int vocabSize,
                       Map<String, Split> splits) {
    public static final String FORMAT = "sgmoe-shards-1";
    public static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One split: its token count (the sum of its shards) and its shards in stream order. */
    public record Split(long tokens, List<ShardEntry> shards, long unkTokens) {
        public Split {
            shards = List.copyOf(shards);
        }
    }

    /** One shard as the manifest lists it; {@code file} is a plain name inside the corpus directory. */
    public record ShardEntry(String file, long tokens, long crc32) implements java.io.Serializable {}

    public Manifest {
        tokenizerParams = Collections.unmodifiableMap(new LinkedHashMap<>(tokenizerParams));
        splits = Collections.unmodifiableMap(new LinkedHashMap<>(splits));
    }

    public int bytesPerToken() {
        return ShardHeader.bytesPerToken(vocabSize);
    }

    /** The manifest as pretty-printed JSON with '\n' line ends: the same bytes on every platform and run. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ObjectNode tok = root.putObject("tokenizer");
        tok.put("kind", tokenizerKind);
        tokenizerParams.forEach((k, v) -> tok.set(k, JSON.valueToTree(v)));
        root.put("vocab_size", vocabSize);
        root.put("bytes_per_token", bytesPerToken());
        ObjectNode sp = root.putObject("splits");
        splits.forEach((name, s) -> {
            ObjectNode o = sp.putObject(name);
            o.put("tokens", s.tokens());
            if (s.unkTokens() >= 0) o.put("unk_tokens", s.unkTokens());
            ArrayNode arr = o.putArray("shards");
            for (ShardEntry e : s.shards()) {
                arr.addObject().put("file", e.file()).put("tokens", e.tokens()).put("crc32", ShardHeader.crcHex(e.crc32()));
            }
        });
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return (JSON.writer(pp).writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest serialisation", e);
        }
    }

    /** Parses and validates a manifest; {@code file} names it in error messages. */
    public static Manifest parse(byte[] json, String file) throws CorpusFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CorpusFormatException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CorpusFormatException(file + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw CorpusFormatException.mismatch(file, "top level", "a JSON object", kind(root), null);
        }
        String format = text(root, "format", file);
        if (!FORMAT.equals(format)) {
            throw CorpusFormatException.mismatch(file, "format", "\"" + FORMAT + "\"", "\"" + format + "\"",
                    "not a prepared corpus of this format version");
        }
        JsonNode tok = root.get("tokenizer");
        if (tok == null || !tok.isObject()) {
            throw CorpusFormatException.mismatch(file, "tokenizer", "an object with a \"kind\"", kind(tok), null);
        }
        String kind = text(tok, "tokenizer.kind", file);
        Map<String, Object> params = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = tok.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("kind")) params.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        long vocab = number(root.get("vocab_size"), "vocab_size", file);
        if (vocab < 1 || vocab > 0xffffffffL || vocab > Integer.MAX_VALUE) {
            throw CorpusFormatException.mismatch(file, "vocab_size", "between 1 and " + Integer.MAX_VALUE, vocab, null);
        }
        JsonNode sp = root.get("splits");
        if (sp == null || !sp.isObject()) {
            throw CorpusFormatException.mismatch(file, "splits", "an object", kind(sp), null);
        }
        Map<String, Split> splits = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = sp.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            splits.put(e.getKey(), parseSplit(e.getValue(), "splits." + e.getKey(), file));
        }
        return new Manifest(kind, params, (int) vocab, splits);
    }

    private static Split parseSplit(JsonNode s, String field, String file) throws CorpusFormatException {
        if (s == null || !s.isObject()) throw CorpusFormatException.mismatch(file, field, "an object", kind(s), null);
        long tokens = number(s.get("tokens"), field + ".tokens", file);
        long unk = s.has("unk_tokens") ? number(s.get("unk_tokens"), field + ".unk_tokens", file) : -1;
        JsonNode arr = s.get("shards");
        if (arr == null || !arr.isArray()) {
            throw CorpusFormatException.mismatch(file, field + ".shards", "an array", kind(arr), null);
        }
        List<ShardEntry> shards = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < arr.size(); i++) {
            String f = field + ".shards[" + i + "]";
            JsonNode e = arr.get(i);
            if (!e.isObject()) throw CorpusFormatException.mismatch(file, f, "an object", kind(e), null);
            String name = text(e, f + ".file", file);
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
                throw CorpusFormatException.mismatch(file, f + ".file", "a plain file name inside the corpus directory",
                        "\"" + name + "\"", null);
            }
            long n = number(e.get("tokens"), f + ".tokens", file);
            String crc = text(e, f + ".crc32", file);
            if (!crc.matches("[0-9a-fA-F]{1,8}")) {
                throw CorpusFormatException.mismatch(file, f + ".crc32", "8 hex digits", "\"" + crc + "\"", null);
            }
            shards.add(new ShardEntry(name, n, Long.parseLong(crc, 16)));
            sum += n;
        }
        if (sum != tokens) {
            throw CorpusFormatException.mismatch(file, field + ".tokens", sum + " (the sum over its shards)", tokens, null);
        }
        return new Split(tokens, shards, unk);
    }

    private static String text(JsonNode parent, String field, String file) throws CorpusFormatException {
        JsonNode v = parent.get(field.substring(field.lastIndexOf('.') + 1));
        if (v == null || !v.isTextual()) throw CorpusFormatException.mismatch(file, field, "a string", kind(v), null);
        return v.asText();
    }

    private static long number(JsonNode v, String field, String file) throws CorpusFormatException {
        if (v == null || !v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
            throw CorpusFormatException.mismatch(file, field, "a non-negative integer", kind(v), null);
        }
        return v.asLong();
    }

    private static String kind(JsonNode v) {
        if (v == null) return "nothing (missing)";
        String s = v.toString();
        return v.getNodeType().name().toLowerCase() + " " + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
    }
}
