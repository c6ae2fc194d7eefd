package sigmoe.data;

import java.io.Serializable;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SerializableWritable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The driver's Hadoop configuration shipped to executors (credentials and settings given as spark.hadoop.*
 * reach executor-side FileSystem calls only this way).
 */
final class SparkHadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<SerializableWritable<Configuration>> conf;
    private transient Configuration local;

    SparkHadoopConf(JavaSparkContext jsc) {
        this.conf = jsc.broadcast(new SerializableWritable<>(jsc.hadoopConfiguration()));
    }

    Configuration get() {
        if (local == null) local = conf.value().value();
        return local;
    }
}
