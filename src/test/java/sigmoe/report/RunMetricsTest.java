package sigmoe.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RunMetricsTest {
    static RunMetrics of(String... lines) {
        return new RunMetrics(MetricsParser.parse(String.join("\n", lines), "m"));
    }

    @Test
    void summaryOfAMoeRun() {
        RunMetrics m = of(
                "{\"step\":10,\"loss\":5,\"tokens\":1000,\"tokens_per_s\":1000,\"experts\":[{\"layer\":1,\"counts\":[5,5],\"dead_fraction\":0,\"usage_rel_perplexity\":1}]}",
                "{\"step\":20,\"loss\":4,\"tokens\":3000,\"tokens_per_s\":3000,\"valid_loss\":4.5,\"experts\":[{\"layer\":1,\"counts\":[9,1],\"dead_fraction\":0,\"usage_rel_perplexity\":0.7}]}",
                "{\"step\":30,\"loss\":3,\"tokens\":1000,\"tokens_per_s\":500,\"valid_loss\":4.7,\"experts\":[{\"layer\":1,\"counts\":[10,0],\"dead_fraction\":0.5,\"usage_rel_perplexity\":0.5}]}");
        Summary s = m.summary();
        assertEquals(30, s.finalStep());
        assertEquals(3.0, s.finalTrainLoss());
        assertEquals(4.5, s.bestValidLoss());
        assertEquals(20, s.bestValidStep());
        assertEquals(4.7, s.finalValidLoss());
        assertEquals(30, s.finalValidStep());
        // 5000 tokens in 1 + 1 + 2 seconds, not the mean of the rates (1500)
        assertEquals(1250, s.meanTokensPerS(), 1e-9);
        assertEquals(3, s.rounds());
        assertEquals(List.of(new Summary.LayerSummary(1, 2, 0.5, 0.5)), s.layers());
        assertArrayEquals(new double[] {1000, 4000, 5000}, m.cumulativeTokens());
        assertEquals(List.of(1), m.moeLayers());
    }

    @Test
    void denseRunWithoutValidationOrThroughput() {
        RunMetrics m = of("{\"step\":10,\"loss\":5,\"experts\":[]}", "{\"step\":20,\"loss\":4}");
        Summary s = m.summary();
        assertTrue(Double.isNaN(s.bestValidLoss()) && Double.isNaN(s.finalValidLoss()) && Double.isNaN(s.meanTokensPerS()));
        assertTrue(s.layers().isEmpty() && m.moeLayers().isEmpty());
        assertTrue(!m.hasTokens());
    }
}
