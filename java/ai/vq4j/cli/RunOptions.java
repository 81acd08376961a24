package ai.vq4j.cli;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** What the two training commands share: resuming, the seed, logging and checkpoint periods, evaluation. */
final class RunOptions {
  @Option(names = "--resume", description = "continue the run in --out from its checkpoint")
  boolean resume;

  @Option(names = "--seed", defaultValue = "1", description = "default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--log-every", defaultValue = "50", description = "progress line every N steps (default: ${DEFAULT-VALUE})")
  int logEvery;

  @Option(names = "--checkpoint-every", defaultValue = "500", description = "default: ${DEFAULT-VALUE}")
  int checkpointEvery;

  @Option(names = "--time-limit", paramLabel = "<minutes>", description = "stop training after this wall time (this"
      + " invocation's loop), then checkpoint and evaluate as at the last step; a resume continues the run")
  Double timeLimit;

  @Option(names = "--no-eval", description = "skip the test evaluation and report images at the end")
  boolean noEval;

  /** What --resume may be given with: the overrides a resume honours, and what only says where and how to run. */
  private static final Set<String> RESUME_OPTIONS = Set.of("--resume", "--out", "--steps", "--lr", "--device",
      "--no-eval", "--nproc-per-node", "--time-limit", "--dist-backend", "--dist-timeout");

  /**
   * A resume continues the run as its checkpoint configured it: an option that would change the model, data or
   * randomness makes another run, and is refused rather than silently ignored.
   */
  static void refuseOnResume(CommandSpec spec) {
    List<String> given = spec.commandLine().getParseResult().matchedOptions().stream().map(OptionSpec::longestName)
        .filter(n -> !RESUME_OPTIONS.contains(n)).distinct().collect(Collectors.toList());
    if (!given.isEmpty()) {
      throw new IllegalArgumentException("--resume continues the run as its checkpoint configured it: "
          + String.join(", ", given) + " cannot change it (a resume honours --steps and --lr); start a new run in"
          + " another --out folder instead");
    }
  }
}
