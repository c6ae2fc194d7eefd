package sigmoe.spark;

import java.io.Serializable;

/**
 * The small instructions every slice task of a span job receives in its closure; each round's own (its local steps,
 * its checkpoint directory) come with the round's state from the driver's exchange.
 *
 * @param runId         unique per trainer invocation: replicas of another run (or of an earlier attempt) are never reused
 * @param configJson    the resolved RunConfig as JSON (vocab size filled in)
 * @param generation    this span job's number at the exchange (a re-run of the span gets a new one)
 * @param firstRound    the first round the job's tasks fetch (a retried task fetches whichever round is current)
 * @param lastRound     the last round of the span: the tasks return after uploading it
 * @param resumeDir     when non-null, slices being built at {@code resumeStep} restore their state from there
 * @param allReduce     the driver's {@link AllReduceServer} (global entropy regulariser: address and the run's secret),
 *                      else null
 * @param exchange      the driver's {@link StateServer} (address and the run's secret), which serves the rounds' states
 *                      and takes the slices' states and reports back
 */
public record RoundSpec(String runId, String configJson, int workers, long generation, long firstRound, long lastRound,
                        String resumeDir, long resumeStep, boolean globalEntropy, StateClient.Endpoint allReduce, boolean collectStats,
                        StateClient.Endpoint exchange)
        implements Serializable {}
