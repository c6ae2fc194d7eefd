package sigmoe.data.bpe;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

import sigmoe.data.TextEncoder;
import sigmoe.data.Vocabulary;

/**
 * A fitted {@link BpeTokenizer} as the prepare job broadcasts it: encodes lines on the executors with a cache
 * pre-token -> ids shared by the executor's task threads (text is Zipfian: a bounded cache of the frequent
 * pre-tokens saves most of the merging work). Thread-safe; the cache does not change results.
 */
final class BpeEncoder implements TextEncoder {
    private static final long serialVersionUID = 1L;
    /** Most cached pre-tokens per executor (about 100 bytes each). */
    static final int CACHE_ENTRIES = 500_000;

    private final BpeModel model;
    private final int requestedSize;
    private final Vocabulary vocabulary;
    private transient volatile ConcurrentHashMap<String, int[]> cache;

    BpeEncoder(BpeModel model, int requestedSize) {
        this.model = model;
        this.requestedSize = requestedSize;
        this.vocabulary = model.vocabulary();
    }

    BpeModel model() {
        return model;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    private ConcurrentHashMap<String, int[]> cache() {
        ConcurrentHashMap<String, int[]> c = cache;
        if (c == null) {
            synchronized (this) {
                if (cache == null) cache = new ConcurrentHashMap<>(1 << 16);
                c = cache;
            }
        }
        return c;
    }

    @Override
    public int encode(String line, IntConsumer out) {
        ConcurrentHashMap<String, int[]> c = cache();
        PreTokenizer.split(line, p -> {
            int[] ids = c.get(p);
            if (ids == null) {
                ids = model.encodePreToken(p.getBytes(StandardCharsets.UTF_8));
                if (c.size() < CACHE_ENTRIES) c.put(p, ids);
            }
            for (int id : ids) out.accept(id);
        });
        out.accept(BpeModel.NEWLINE_ID);
        return 0;
    }

    @Override
    public Map<String, Object> manifestParams() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("merges_file", BpeModel.MERGES_FILE);
        p.put("merges", model.merges());
        p.put("requested_vocab_size", requestedSize);
        p.put("byte_fallback", "ids 0-255 are the bytes 0x00-0xff");
        p.put("newline_id", BpeModel.NEWLINE_ID);
        p.put("pre_tokenizer", "space-prefixed,split_digits,split_by_unicode_script,max_"
                + PreTokenizer.MAX_CODE_POINTS + "_code_points");
        p.put("vocab_text", "U+2581 = space, \\\\ = backslash, \\xHH = byte");
        return p;
    }

    @Override
    public Map<String, byte[]> files() {
        return Map.of(BpeModel.MERGES_FILE, model.toMergesFile());
    }
}
