package ai.vq4j.cli;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.checkpoint.VqVaeCheckpoint;
import ai.vq4j.data.Dataset;
import ai.vq4j.dist.Communicator;
import ai.vq4j.model.VqVae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "encode", mixinStandardHelpOptions = true,
    description = {"Encodes images to code grids.",
        "A safetensors file with int32 codes [N, g, g] (and labels),",
        "its metadata naming the VQ-VAE checkpoint and its SHA-256.",
        "Data-parallel (--nproc-per-node, or a launcher's variables) the ranks split the batches and rank 0",
        "writes the same file one process writes."})
final class EncodeCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "a VQ-VAE checkpoint")
  Path checkpoint;

  @Mixin
  DataOptions data;

  @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE})")
  String split;

  @Option(names = "--limit", description = "encode only the first N images")
  Integer limit;

  @Option(names = "--out", required = true, description = "the code file to write")
  Path out;

  @Option(names = "--batch-size", defaultValue = "64", description = "default: ${DEFAULT-VALUE}")
  int batchSize;

  @Mixin
  DeviceOption device;

  @Mixin
  DataParallelLaunch launch;

  @Override
  public Integer call() throws IOException, InterruptedException {
    return launch.run(device, this::encode);
  }

  private int encode(Optional<Communicator> comm) throws IOException {
    OutputFile.checkReplacesOnlyCodes("--out", out, checkpoint, data.dataDir);
    try (VqVae model = VqVaeCheckpoint.loadModel(checkpoint, comm.map(Communicator::device).orElseGet(device::get))) {
      Dataset set = data.load(model.config(), DataOptions.isTrain(split));
      if (limit != null) {
        if (limit < 1) {
          throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        set = set.first(Math.min(limit, set.size()));
      }
      CodeDataset codes = CodeDataset.encode(model, set.toFloatArray(), set.size(),
          set.hasLabels() ? set.labels() : null, batchSize, CodeDataset.Source.of(checkpoint), comm.orElse(null));
      if (comm.isPresent() && comm.get().rank() != 0) {
        return 0;
      }
      codes.save(out);
      System.out.printf("encoded %d images of %s to %dx%d codes in [0, %d): %s%n", set.size(), set.name(),
          codes.gridSize(), codes.gridSize(), codes.numCodes(), out);
    }
    return 0;
  }
}
