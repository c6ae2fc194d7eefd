package sigmoe.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sigmoe.data.Corpus;
import sigmoe.data.TokenStream;
import sigmoe.eval.EvalFixtures.Run;

/** Distributed evaluation in local[2] equals the single-process evaluator; stream ranges are contiguous and balanced. */
class DistributedEvalTest {
    @TempDir Path tmp;

    @Test
    void distributedEvaluationInLocal2EqualsTheSingleProcessNumbers() throws Exception {
        Path corpus = EvalFixtures.corpus(tmp);
        Path ckpt = EvalFixtures.checkpoint(tmp, "m", corpus, 5, Map.of());
        Run r = EvalFixtures.cli("eval", "--checkpoint", ckpt.toString(), "--data", corpus.toString(), "--split", "test",
                "--segment", "16", "--mem-segments", "3", "--batch", "5", "--distributed", "--master", "local[2]");
        assertEquals(0, r.rc(), r.err() + r.out());
        JsonNode j = r.json();
        assertEquals(2, j.get("partitions").asInt());
        assertTrue(j.get("distributed").asBoolean());
        assertTrue(r.out().contains("partition 2/2"), r.out());

        TokenStream test = Corpus.open(corpus.toString()).split("test");
        LoadedModel m = LoadedModel.load(ckpt.toString(), new Configuration());
        Evaluator.Result d = Evaluator.evaluate(m.model, test, 16, 3, 5, 0, 5, 0);
        assertEquals(d.tokens(), j.get("tokens").asLong());
        assertEquals(d.loss(), j.get("loss").asDouble(), 1e-6 * d.loss());
        System.out.printf("distributed loss %.9f, single %.9f%n", j.get("loss").asDouble(), d.loss());
    }

    @Test
    void streamRangesAreContiguousBalancedAndCoverEveryStream() {
        List<int[]> r = StreamRanges.split(5, 2);
        assertArrayEquals(new int[] {0, 3}, r.get(0));
        assertArrayEquals(new int[] {3, 5}, r.get(1));
        assertEquals(3, StreamRanges.split(3, 8).size());
        for (int b = 1; b <= 9; b++)
            for (int p = 1; p <= 6; p++) {
                List<int[]> s = StreamRanges.split(b, p);
                int lo = 0, min = Integer.MAX_VALUE, max = 0;
                for (int[] x : s) {
                    assertEquals(lo, x[0]);
                    assertTrue(x[1] > x[0]);
                    min = Math.min(min, x[1] - x[0]);
                    max = Math.max(max, x[1] - x[0]);
                    lo = x[1];
                }
                assertEquals(b, lo);
                assertTrue(max - min <= 1);
            }
    }
}
