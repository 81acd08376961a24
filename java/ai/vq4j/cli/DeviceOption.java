package ai.vq4j.cli;

import ai.vq4j.tensor.Device;
import picocli.CommandLine.Option;

/** {@code --device cpu|cuda|cuda:N}, shared by every command that computes (a picocli mixin). */
final class DeviceOption {
  @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
  String name;

  Device get() {
    return Main.device(name);
  }
}
