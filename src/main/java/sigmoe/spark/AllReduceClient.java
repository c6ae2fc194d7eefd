package sigmoe.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.apache.spark.TaskContext;

/** A slice task's connection to the driver's {@link AllReduceServer}, open for one round. */
final class AllReduceClient implements Closeable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final int slice;
    private final String prefix;

    /** Connects to the all-reduce at {@code driver} and presents the run's secret it carries. */
    AllReduceClient(StateClient.Endpoint driver, int slice) {
        String address = driver.address();
        int colon = address.lastIndexOf(':');
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))), 30_000);
            socket.setSoTimeout(1000); // wake up every second to notice a killed task
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            out.write(driver.secret()); // goes out with the first values
        } catch (IOException e) {
            throw new UncheckedIOException("slice " + slice + " cannot reach the driver's all-reduce at " + address, e);
        }
        this.slice = slice;
        TaskContext tc = TaskContext.get();
        this.prefix = tc == null ? "local/" : tc.stageId() + "." + tc.stageAttemptNumber() + "/";
    }

    /** The element-wise sum over all slices of {@code values} for this key (blocks until every slice sent it). */
    double[] sum(long key, double[] values) {
        try {
            out.writeUTF(prefix + key);
            out.writeInt(slice);
            out.writeInt(values.length);
            for (double v : values) out.writeDouble(v);
            out.flush();
            int n = readReplyLength();
            double[] sum = new double[n];
            for (int i = 0; i < n; i++) sum[i] = in.readDouble();
            return sum;
        } catch (IOException e) {
            // a refused secret shows as an end of stream or as a reset (the driver closed with our values unread)
            throw new UncheckedIOException("all-reduce of step " + key + " failed for slice " + slice + " (" + e.getMessage()
                    + "); when the driver ended the connection, the run ended or this task does not hold the run's secret", e);
        }
    }

    /** Waits for the reply, checking every second whether Spark killed the task; a timeout never splits a value. */
    private int readReplyLength() throws IOException {
        int b0;
        while (true) {
            try {
                b0 = in.read();
                break;
            } catch (SocketTimeoutException e) {
                TaskContext tc = TaskContext.get();
                if (tc != null) tc.killTaskIfInterrupted();
            }
        }
        if (b0 < 0) throw new IOException("the driver closed the all-reduce connection");
        socket.setSoTimeout(60_000); // the rest of the reply is already on its way
        try {
            return (b0 << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        } finally {
            socket.setSoTimeout(1000);
        }
    }

    @Override
    public void close() throws IOException { socket.close(); }
}
