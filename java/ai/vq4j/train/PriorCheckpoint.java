package ai.vq4j.train;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.CheckpointShapes;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PixelCNN prior checkpoints in safetensors, in the style of {@link Checkpoint}. Tensors: {@code model.<parameter>}
 * for every parameter and, for a training checkpoint, {@code adam.m.<parameter>} and {@code adam.v.<parameter>}.
 * Metadata: format, layout, the model config (JSON), the VQ-VAE checkpoint whose codes the prior models (when
 * known: path, SHA-256, step), and for a training checkpoint the train config, step, Adam's step count, and the
 * trainer's data-order state (epoch, position, RNG state). Written to a temporary file and renamed. A file that
 * does not fit is an IOException naming the file and the tensor or field at fault.
 */
public final class PriorCheckpoint {
  public static final String FORMAT = "vq4j-pixelcnn-1";
  public static final String LAYOUT = "NHWC activations; conv weights [Co, kH, kW, Ci] (masked taps stored as zeros)";

  private final Path file;
  private final Safetensors st;
  private final CheckpointFile fields;
  private final PixelCnnConfig config;

  private PriorCheckpoint(Path file, Safetensors st, PixelCnnConfig config) {
    this.file = file;
    this.st = st;
    this.fields = new CheckpointFile(file, st);
    this.config = config;
  }

  /** Writes the model alone (no optimizer state): what sampling and scoring need. source may be null. */
  public static void saveModel(Path file, PixelCnnPrior prior, CodeDataset.Source source) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(prior, source, tensors, meta);
    new Safetensors(tensors, meta).write(file);
  }

  /** Writes everything a resumed run needs to continue exactly. source may be null. */
  public static void save(Path file, PriorTrainer trainer, PriorTrainConfig trainConfig, CodeDataset.Source source)
      throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(trainer.model(), source, tensors, meta);
    CheckpointFile.putAdam(trainer.optimizer(), tensors, meta);
    meta.put("train_config", trainConfig.toJson());
    meta.put("step", Long.toString(trainer.steps()));
    meta.put("data_state", trainer.dataState());
    new Safetensors(tensors, meta).write(file);
  }

  private static void putModel(PixelCnnPrior prior, CodeDataset.Source source, Map<String, Safetensors.Entry> tensors,
      Map<String, String> meta) {
    meta.put("format", FORMAT);
    meta.put("layout", LAYOUT);
    meta.put("model_config", prior.config().toJson());
    if (source != null) {
      meta.put("vqvae_checkpoint", source.checkpoint());
      meta.put("vqvae_sha256", source.sha256());
      meta.put("vqvae_step", Long.toString(source.step()));
    }
    for (Parameter p : prior.parameters()) {
      tensors.put("model." + p.name(), CheckpointFile.entry(p.value()));
    }
  }


  /** Reads and checks the header of a prior checkpoint (format and model config). */
  public static PriorCheckpoint read(Path file) throws IOException {
    Safetensors st = Safetensors.read(file);
    String format = st.metadata().get("format");
    if (!FORMAT.equals(format)) {
      throw new IOException(file + ": not a vq4j PixelCNN prior checkpoint (metadata format = " + format
          + ", expected " + FORMAT + ")");
    }
    String json = st.metadata().get("model_config");
    if (json == null) {
      throw new IOException(file + ": metadata has no model_config");
    }
    try {
      return new PriorCheckpoint(file, st, PixelCnnConfig.fromJson(json));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": model_config: " + e.getMessage(), e);
    }
  }

  /** Reads a prior checkpoint and builds its model on the device. */
  public static PixelCnnPrior loadModel(Path file, Device device) throws IOException {
    return read(file).model(device);
  }

  public PixelCnnConfig config() {
    return config.copy();
  }

  public Path file() {
    return file;
  }

  public boolean isTrainingCheckpoint() {
    return st.metadata().containsKey("train_config");
  }

  /** The VQ-VAE checkpoint whose codes the prior models, or null when the checkpoint does not say. */
  public CodeDataset.Source source() throws IOException {
    Map<String, String> m = st.metadata();
    if (!m.containsKey("vqvae_sha256")) {
      return null;
    }
    return new CodeDataset.Source(fields.meta("vqvae_checkpoint"), m.get("vqvae_sha256"),
        fields.parseLong("vqvae_step"));
  }

  /** A new prior on the device with this checkpoint's weights. */
  public PixelCnnPrior model(Device device) throws IOException {
    PixelCnnPrior prior = new PixelCnnPrior(config, device);
    try {
      Map<String, int[]> expected = new LinkedHashMap<>();
      for (Parameter p : prior.parameters()) {
        expected.put("model." + p.name(), p.shape());
      }
      CheckpointShapes.requireExactly(file, fields.shapes(), "model.", expected);
      for (Parameter p : prior.parameters()) {
        p.value().copyFrom(fields.floats("model." + p.name(), p.shape()));
      }
    } catch (IOException | RuntimeException e) {
      prior.close();
      throw e;
    }
    return prior;
  }

  public PriorTrainConfig trainConfig() throws IOException {
    try {
      return PriorTrainConfig.fromJson(fields.meta("train_config"));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": train_config: " + e.getMessage(), e);
    }
  }

  public long step() throws IOException {
    return fields.parseLong("step");
  }

  /** Puts the optimizer state, step and data order of this training checkpoint into a trainer of its model. */
  public void restore(PriorTrainer trainer, int datasetSize) throws IOException {
    if (!isTrainingCheckpoint()) {
      throw new IOException(file + ": holds the model only (no train_config, optimizer state or data order): not a"
          + " training checkpoint, so training cannot resume from it");
    }
    fields.restoreAdam(trainer.optimizer());
    try {
      trainer.restore(step(), fields.meta("data_state"), datasetSize);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": metadata data_state: " + e.getMessage(), e);
    }
  }
}
