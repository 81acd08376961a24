package ai.vq4j.cli;

import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true,
    description = {"Prints what vq4j runs on: version, Java runtime, CPU vector extensions and path, threads,",
        "CUDA driver, runtime and devices, NCCL and Gloo. Paste it into a bug report."})
final class InfoCommand implements Runnable {
  @Override
  public void run() {
    SystemReport.lines().forEach(System.out::println);
  }
}
