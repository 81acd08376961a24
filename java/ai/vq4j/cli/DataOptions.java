package ai.vq4j.cli;

import ai.vq4j.data.Dataset;
import ai.vq4j.data.Datasets;
import ai.vq4j.model.VqVaeConfig;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which image set a command reads, shared by the commands that take one (a picocli mixin). */
final class DataOptions {
  @Option(names = "--data", defaultValue = "fashion-mnist",
      description = "fashion-mnist, mnist, cifar10, folder, folder-unlabelled or emoji (64x64 colour, fetched by"
          + " scripts/get-emoji.sh) (default: ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--data-dir",
      description = "folder of the data set (default for fashion-mnist: its Debian folder); for folder: the images;"
          + " for emoji: the folder get-emoji.sh filled")
  Path dataDir;

  /** The set, padded and scaled for the model's images. */
  Dataset load(VqVaeConfig model, boolean train) throws IOException {
    return Datasets.forModel(data, dataDir, train, model.imageSize, model.imageChannels);
  }

  /** The channels a new model takes: RGB for cifar10, folder and emoji, grey otherwise. */
  int channels() {
    return data.equals("cifar10") || data.equals("folder") || data.equals("emoji") ? 3 : 1;
  }

  /** The image side a set trains at unless told: its own (64 for emoji), or 32 (MNIST's 28 padded, CIFAR's). */
  int defaultImageSize() {
    return data.equals("emoji") ? 64 : 32;
  }

  /** "test" or "train" as the train flag. */
  static boolean isTrain(String split) {
    if (!split.equals("test") && !split.equals("train")) {
      throw new IllegalArgumentException("--split must be test or train, got " + split);
    }
    return split.equals("train");
  }
}
