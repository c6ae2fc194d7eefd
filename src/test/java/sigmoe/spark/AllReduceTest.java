package sigmoe.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class AllReduceTest {
    @Test
    void everySliceGetsTheSumInSliceOrderForEveryStep() throws Exception {
        int w = 3;
        try (AllReduceServer server = new AllReduceServer("127.0.0.1", w)) {
            ExecutorService pool = Executors.newFixedThreadPool(w);
            List<Future<List<double[]>>> results = new ArrayList<>();
            for (int s = 0; s < w; s++) {
                int slice = s;
                results.add(pool.submit(() -> {
                    List<double[]> got = new ArrayList<>();
                    try (AllReduceClient c = new AllReduceClient(server.address(), slice)) {
                        for (int step = 0; step < 20; step++) {
                            if (slice == 1) Thread.sleep(step % 3); // arrival order varies
                            got.add(c.sum(step, new double[] {slice + step, 1e16 * (slice == 0 ? 1 : 0), slice == 2 ? 1 : 0}));
                        }
                    }
                    return got;
                }));
            }
            for (Future<List<double[]>> f : results) {
                List<double[]> got = f.get();
                for (int step = 0; step < 20; step++) {
                    // slice order: (1e16 + 0) + 0 for the second entry; 0 + 0 + 1 for the third
                    assertArrayEquals(new double[] {3 + 3 * step, 1e16, 1}, got.get(step));
                }
            }
            pool.shutdown();
        }
    }
}
