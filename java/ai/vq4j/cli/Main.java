package ai.vq4j.cli;

import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Vq4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code vq4j <command> ...} (bin/vq4j runs {@code java -jar vq4j-<version>-all.jar}): the vq4j command line. */
@Command(name = "vq4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "VQ-VAE and PixelCNN prior training on the JVM (CPU, or CUDA GPUs).",
    subcommands = {TrainCommand.class, EvalCommand.class, ReconstructCommand.class, EncodeCommand.class,
        DecodeCommand.class, TrainPriorCommand.class, SampleCommand.class, InfoCommand.class, ExportCommand.class,
        ImportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code: 0 done, 1 failed, 2 bad usage. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    FiniteNumbers.register(cli);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      // Expected failures (bad input files, bad options, native errors) get one clear line, not a trace.
      if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
          || e instanceof IllegalArgumentException
          || e instanceof IllegalStateException || e instanceof Vq4jException) {
        String message = e instanceof java.nio.file.NoSuchFileException ? "no such file: " + e.getMessage()
            : e instanceof java.nio.file.AccessDeniedException ? "access denied: " + e.getMessage() : e.getMessage();
        cmd.getErr().println("vq4j " + cmd.getCommandName() + ": " + message);
        return 1;
      }
      throw e;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      // picocli formats version lines (String.format): a literal % in a CPU or GPU name must not be read as one.
      return SystemReport.lines().stream().map(l -> l.replace("%", "%%")).toArray(String[]::new);
    }
  }

  /** "cpu", "cuda" or "cuda:N". */
  static Device device(String name) {
    if (name.equals("cpu")) {
      return Device.CPU;
    }
    if (name.equals("cuda") || name.startsWith("cuda:")) {
      int ordinal;
      try {
        ordinal = name.equals("cuda") ? 0 : Integer.parseInt(name.substring(5));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--device " + name + ": expected cpu, cuda or cuda:N");
      }
      if (Device.cudaDeviceCount() == 0) {
        throw new IllegalArgumentException("--device " + name + ": no usable CUDA GPU"
            + (Device.cudaBuilt() ? "" : " (this build has no CUDA kernels)"));
      }
      return Device.cuda(ordinal);
    }
    throw new IllegalArgumentException("--device " + name + ": expected cpu, cuda or cuda:N");
  }
}
