package ai.vq4j.cli;

import ai.vq4j.dist.Communicator;
import ai.vq4j.tensor.Device;
import ai.vq4j.train.ModelRun;
import ai.vq4j.train.Run;
import ai.vq4j.train.RunConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the two training commands ({@link TrainCommand}, {@link TrainPriorCommand}) share: the run options, the
 * device and the data-parallel launch, and what each rank does: join the group, set the time limit, then resume
 * the folder's run (refusing the options a resume cannot honour) or start a new one with the run options in its
 * train config.
 *
 * @param <C> the model's config
 * @param <T> the train config
 */
abstract class TrainingCommand<C, T extends RunConfig> implements Callable<Integer> {
  @Mixin
  RunOptions opts;

  @Mixin
  DeviceOption device;

  @Mixin
  DataParallelLaunch launch;

  @Spec
  CommandSpec spec;

  /** The configs of a new run: the model's and the train config. */
  record NewRun<C, T>(C config, T train) {}

  /** The run in the command's output folder, on this rank's device. */
  abstract ModelRun<C, T> run(Device device, PrintStream progress);

  /** What a resume takes from the command line: --steps and --lr. */
  abstract Run.Overrides overrides();

  /** A new run's configs from the command's options; {@link RunOptions}' fields are filled in afterwards. */
  abstract NewRun<C, T> newRun();

  @Override
  public final Integer call() throws IOException, InterruptedException {
    return launch.run(device, this::train);
  }

  private int train(Optional<Communicator> comm) throws IOException {
    ModelRun<C, T> run = run(comm.map(Communicator::device).orElseGet(device::get), DataParallelLaunch.progress(comm));
    comm.ifPresent(run::distribute);
    if (opts.timeLimit != null) {
      run.limitTime(opts.timeLimit);
    }
    if (opts.resume) {
      RunOptions.refuseOnResume(spec);
      run.resume(overrides(), !opts.noEval);
      return 0;
    }
    NewRun<C, T> configs = newRun();
    T train = configs.train();
    train.seed = opts.seed;
    train.logEvery = opts.logEvery;
    train.checkpointEvery = opts.checkpointEvery;
    run.start(configs.config(), train, !opts.noEval);
    return 0;
  }
}
