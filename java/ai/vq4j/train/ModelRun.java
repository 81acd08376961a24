package ai.vq4j.train;

import ai.vq4j.dist.Communicator;
import java.io.IOException;

/**
 * A training run of one kind of model ({@link VqVaeRun}, {@link PriorRun}), as a command drives it: join a
 * data-parallel group, set a time limit, then start a new run or resume the folder's.
 *
 * @param <C> the model's config
 * @param <T> the train config
 */
public interface ModelRun<C, T extends RunConfig> {
  /**
   * Makes this run one rank of a data-parallel run over comm: each rank trains on its slice of every global
   * batch, and rank 0 writes the files.
   */
  void distribute(Communicator comm);

  /** A wall-time budget for the training loop ({@link Run#limitTime}). */
  void limitTime(double minutes);

  /** Starts a new run (an existing checkpoint in the folder is refused: resume it, or use another folder). */
  Run.Result start(C config, T train, boolean evaluate) throws IOException;

  /** Continues the folder's run, with the overrides of its train config that a resume may change. */
  Run.Result resume(Run.Overrides overrides, boolean evaluate) throws IOException;
}
