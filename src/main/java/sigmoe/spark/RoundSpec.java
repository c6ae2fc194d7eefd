package sigmoe.spark;

import java.io.Serializable;

/**
 * The small, per-round instructions every slice task receives in its closure.
 *
 * @param runId         unique per trainer invocation: replicas of another run (or of an earlier attempt) are never reused
 * @param configJson    the resolved RunConfig as JSON (vocab size filled in)
 * @param steps         local steps H of this round (fewer in the last round)
 * @param checkpointDir when non-null, each slice writes its trainer state there after its steps
 * @param resumeDir     when non-null, slices being built at {@code resumeStep} restore their state from there
 * @param allReduce     the driver's {@link AllReduceServer} (global entropy regulariser: address and the run's secret),
 *                      else null
 * @param exchange      the driver's {@link StateServer} (address and the run's secret), which serves this round's state
 *                      and takes the slices' states back
 */
public record RoundSpec(String runId, String configJson, int workers, long round, int steps, String checkpointDir,
                        String resumeDir, long resumeStep, boolean globalEntropy, StateClient.Endpoint allReduce, boolean collectStats,
                        StateClient.Endpoint exchange)
        implements Serializable {}
