package sigmoe.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * The Spark side of a training run, for the benchmark: per job (one per span of rounds, named by the trainer's job
 * description "rounds a-b") its submission and end on the driver's clock and, per task, Spark's own phase metrics. Spark
 * delivers listener events asynchronously, so read them after the run has finished.
 */
final class RoundTimeline extends SparkListener {
    /** One task as Spark saw it; times in ms. */
    record Task(long launch, long gettingResult, long finish, long deserialize, long run, long resultSerialize, long resultBytes) {
        /** From launch to the driver holding the deserialised result, less what the executor reports for itself. */
        long transfer() { return finish - launch - deserialize - run - resultSerialize; }
    }

    /** One job: the driver's submit and end time (ms) and its tasks. */
    static final class Job {
        final String description;
        final long submitted;
        volatile long ended;
        final List<Task> tasks = new ArrayList<>();

        Job(String description, long submitted) {
            this.description = description;
            this.submitted = submitted;
        }

        /** The task whose result reached the driver last. */
        Task last() { return tasks.stream().max((a, b) -> Long.compare(a.finish, b.finish)).orElseThrow(); }

        /** The task that Spark launched first. */
        long firstLaunch() { return tasks.stream().mapToLong(Task::launch).min().orElseThrow(); }
    }

    private final Map<Integer, Job> byJob = new ConcurrentHashMap<>();
    private final Map<Integer, Job> byStage = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        String d = e.properties() == null ? null : e.properties().getProperty("spark.job.description");
        Job j = new Job(d == null ? "" : d, e.time());
        byJob.put(e.jobId(), j);
        scala.collection.Iterator<Object> it = e.stageIds().iterator();
        while (it.hasNext()) byStage.put((Integer) it.next(), j);
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
        Job j = byJob.get(e.jobId());
        if (j != null) j.ended = e.time();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        Job j = byStage.get(e.stageId());
        TaskInfo i = e.taskInfo();
        TaskMetrics m = e.taskMetrics();
        if (j == null || m == null || !i.successful()) return;
        synchronized (j) {
            j.tasks.add(new Task(i.launchTime(), i.gettingResultTime(), i.finishTime(), m.executorDeserializeTime(),
                    m.executorRunTime(), m.resultSerializationTime(), m.resultSize()));
        }
    }

    /** The training spans' jobs in submission order. */
    List<Job> spans() {
        List<Job> out = new ArrayList<>();
        for (Job j : byJob.values()) if (j.description.startsWith("rounds ") && !j.tasks.isEmpty()) out.add(j);
        out.sort((a, b) -> Long.compare(a.submitted, b.submitted));
        return out;
    }
}
