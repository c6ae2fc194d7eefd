package sigmoe.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsParserTest {
    static final String F = "runs/x/metrics.jsonl";

    static ReportException fails(String text) {
        return assertThrows(ReportException.class, () -> MetricsParser.parse(text, F));
    }

    @Test
    void readsTheTrainersFields() {
        List<Round> rs = MetricsParser.parse(RunFixtures.metrics(5, 2, 4, false), F);
        assertEquals(5, rs.size());
        Round r = rs.get(4);
        assertEquals(5, r.line());
        assertEquals(4, r.round());
        assertEquals(50, r.step());
        assertEquals(10240, r.tokens());
        assertTrue(r.hasValid(), "round 4 is a validation round in the fixture");
        assertTrue(!rs.get(0).hasValid());
        assertEquals(List.of(0, 2), r.experts().stream().map(LayerLoad::layer).toList());
        assertEquals(4, r.experts().get(0).nExperts());
        assertTrue(r.extras().isEmpty(), "the single-process trainer writes no extra fields: " + r.extras());
        assertTrue(Double.isFinite(r.lr()) && Double.isFinite(r.gradNorm()));
    }

    @Test
    void keepsTheSparkTrainersExtraFields() {
        Round r = MetricsParser.parse(RunFixtures.metrics(4, 1, 4, true), F).get(3);
        assertEquals(1.0, r.extras().get("rebuilds"));
        assertEquals(0.05, r.extras().get("broadcast_s"));
        assertTrue(r.extras().keySet().containsAll(List.of("round_s", "compute_s", "comm_s", "skipped_steps")));
        assertTrue(Double.isNaN(r.lr()) && Double.isNaN(r.gradNorm()), "not written by the Spark trainer");
    }

    @Test
    void exactValuesAndNonFiniteNumbersInBothSpellings() {
        String line = "{\"round\":3,\"step\":40,\"loss\":2.91,\"reg\":-0.0021,\"lr\":0.0029,\"grad_norm\":0.8,\"tokens\":2560,"
                + "\"tokens_per_s\":9123.4,\"experts\":[{\"layer\":1,\"counts\":[120,98,140,0],\"usage_rel_perplexity\":\"NaN\","
                + "\"dead_fraction\":0.25,\"min_load\":0.0,\"max_load\":0.39}],\"valid_loss\":NaN,\"note\":\"text is ignored\"}";
        Round r = MetricsParser.parse(line + "\n", F).get(0);
        assertEquals(3, r.round());
        assertEquals(40, r.step());
        assertEquals(2.91, r.loss());
        assertEquals(-0.0021, r.reg());
        assertEquals(9123.4, r.tokensPerS());
        assertTrue(Double.isNaN(r.validLoss()));
        assertTrue(r.extras().isEmpty(), "a string field is not plotted: " + r.extras());
        LayerLoad l = r.experts().get(0);
        assertArrayEquals(new long[] {120, 98, 140, 0}, l.counts());
        assertEquals(0.25, l.deadFraction());
        // "NaN" for a layer that did select experts is filled from the counts: exp(H(p)) / N_E
        double[] p = {120 / 358.0, 98 / 358.0, 140 / 358.0};
        double h = 0;
        for (double x : p) h -= x * Math.log(x);
        assertEquals(Math.exp(h) / 4, l.usageRelPerplexity(), 1e-12);
    }

    @Test
    void missingRatiosAreComputedFromTheCounts() {
        Round r = MetricsParser.parse("{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":0,\"counts\":[3,1,0,0]}]}", F).get(0);
        LayerLoad l = r.experts().get(0);
        assertEquals(0.5, l.deadFraction());
        assertEquals(0.0, l.minLoad());
        assertEquals(0.75, l.maxLoad());
        assertArrayEquals(new double[] {0.75, 0.25, 0, 0}, l.shares());
        assertEquals(0, r.round(), "a missing round number is the record's index");
        LayerLoad none = MetricsParser.parse("{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":0,\"counts\":[0,0]}]}", F)
                .get(0).experts().get(0);
        assertEquals(1.0, none.deadFraction(), "no selection at all: every expert dead, as ExpertStats counts it");
        assertTrue(Double.isNaN(none.usageRelPerplexity()));
    }

    @Test
    void malformedJsonNamesFileAndPhysicalLine() {
        String ok = "{\"step\":10,\"loss\":3.0}\n";
        ReportException e = fails(ok + "\n" + ok + "{\"step\":30,\"loss\":\n" + ok);
        assertTrue(e.getMessage().startsWith(F + " line 4: not valid JSON"), e.getMessage());
    }

    @Test
    void fieldProblemsNameTheLineAndTheField() {
        String ok = "{\"step\":10,\"loss\":3.0}\n";
        assertMessage(fails(ok + "{\"loss\":3.0}\n"), "line 2: missing the number \"step\"");
        assertMessage(fails(ok + ok + "{\"step\":30,\"loss\":\"high\"}"), "line 3: \"loss\" must be a number, found \"high\"");
        assertMessage(fails("{\"step\":1.5,\"loss\":3}"), "line 1: \"step\" must be a non-negative integer");
        assertMessage(fails("[1,2]"), "line 1: expected one JSON object per line");
        assertMessage(fails("{\"step\":1,\"loss\":3,\"experts\":{}}"), "line 1: \"experts\" must be an array");
        assertMessage(fails("{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":0,\"counts\":[1,-2]}]}"),
                "line 1: experts of layer 0: counts[1] = -2 is not a non-negative integer");
        assertMessage(fails("{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":0}]}"), "line 1: experts of layer 0: \"counts\"");
        assertMessage(fails("{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":0,\"counts\":[1]},{\"layer\":0,\"counts\":[1]}]}"),
                "line 1: experts: layer 0 appears twice");
    }

    @Test
    void aLayerChangingItsExpertCountIsAnError() {
        String a = "{\"step\":1,\"loss\":3,\"experts\":[{\"layer\":2,\"counts\":[1,2,3,4]}]}\n";
        String b = "{\"step\":2,\"loss\":3,\"experts\":[{\"layer\":2,\"counts\":[1,2]}]}\n";
        assertMessage(fails(a + a + b), "line 3: layer 2 has 2 experts but 4 on line 1");
    }

    @Test
    void anEmptyFileIsAnError() {
        assertMessage(fails("\n\n"), F + " has no rounds");
    }

    @Test
    void crlfLineEndingsAreAccepted() {
        assertEquals(2, MetricsParser.parse("{\"step\":1,\"loss\":3}\r\n{\"step\":2,\"loss\":2}\r\n", F).size());
    }

    static void assertMessage(ReportException e, String part) {
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(F + " "), "the message names the file: " + e.getMessage());
    }
}
