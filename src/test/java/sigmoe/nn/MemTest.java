package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.Reference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class MemTest {
    @Test
    void rowViewsAndParamViewsAddressTheirOwnElements() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = Nd4j.create(dt, 6, 4);
            INDArray rows = a.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());
            Mem m = Mem.of(rows);
            assertEquals(12, m.length);
            m.set(0, 7);
            m.set(11, 9);
            assertEquals(7.0, a.getDouble(2, 0));
            assertEquals(9.0, a.getDouble(4, 3));
            assertEquals(0.0, a.getDouble(1, 3));
            Reference.reachabilityFence(rows);

            ParamStore ps = new ParamStore(dt);
            ps.add("a", 3);
            Param b = ps.add("b", 2, 2);
            ps.allocate();
            INDArray bValue = b.value(), bGrad = b.grad();
            Mem.of(bValue).set(3, 5);
            assertEquals(5.0, ps.values().getDouble(3 + 3));
            Mem.of(bGrad).set(0, 2);
            assertEquals(2.0, ps.grads().getDouble(3));
            Reference.reachabilityFence(bValue);
            Reference.reachabilityFence(bGrad);
        }
    }

    @Test
    void rejectsNonContiguousViews() {
        INDArray a = Nd4j.create(DataType.FLOAT, 4, 4);
        assertThrows(IllegalArgumentException.class,
                () -> Mem.of(a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2))));
    }
}
