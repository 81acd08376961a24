package ai.vq4j.cli;

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

  @Option(names = "--no-eval", description = "skip the test evaluation and report images at the end")
  boolean noEval;
}
