package ai.vq4j.train;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.PixelCnnConfig;
import ai.vq4j.model.PixelCnnPrior;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
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
  private final PixelCnnConfig config;

  private PriorCheckpoint(Path file, Safetensors st, PixelCnnConfig config) {
    this.file = file;
    this.st = st;
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
    Adam adam = trainer.optimizer();
    for (Parameter p : adam.parameters()) {
      tensors.put("adam.m." + p.name(), entry(adam.firstMoment(p)));
      tensors.put("adam.v." + p.name(), entry(adam.secondMoment(p)));
    }
    meta.put("train_config", trainConfig.toJson());
    meta.put("step", Long.toString(trainer.steps()));
    meta.put("adam_t", Integer.toString(adam.steps()));
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
      tensors.put("model." + p.name(), entry(p.value()));
    }
  }

  private static Safetensors.Entry entry(Tensor t) {
    return Safetensors.Entry.of(t.toFloatArray(), t.shape());
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
    return new CodeDataset.Source(meta("vqvae_checkpoint"), m.get("vqvae_sha256"), parseLong("vqvae_step"));
  }

  /** A new prior on the device with this checkpoint's weights. */
  public PixelCnnPrior model(Device device) throws IOException {
    PixelCnnPrior prior = new PixelCnnPrior(config, device);
    try {
      for (Parameter p : prior.parameters()) {
        p.value().copyFrom(floats("model." + p.name(), p.shape()));
      }
    } catch (IOException | RuntimeException e) {
      prior.close();
      throw e;
    }
    return prior;
  }

  public PriorTrainConfig trainConfig() throws IOException {
    try {
      return PriorTrainConfig.fromJson(meta("train_config"));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": train_config: " + e.getMessage(), e);
    }
  }

  public long step() throws IOException {
    return parseLong("step");
  }

  /** Puts the optimizer state, step and data order of this training checkpoint into a trainer of its model. */
  public void restore(PriorTrainer trainer, int datasetSize) throws IOException {
    if (!isTrainingCheckpoint()) {
      throw new IOException(file + ": holds the model only (no train_config, optimizer state or data order): not a"
          + " training checkpoint, so training cannot resume from it");
    }
    Adam adam = trainer.optimizer();
    for (Parameter p : adam.parameters()) {
      adam.firstMoment(p).copyFrom(floats("adam.m." + p.name(), p.shape()));
      adam.secondMoment(p).copyFrom(floats("adam.v." + p.name(), p.shape()));
    }
    long adamT = parseLong("adam_t");
    if (adamT < 0 || adamT > Integer.MAX_VALUE) {
      throw new IOException(file + ": metadata adam_t = " + adamT + " is out of range");
    }
    adam.restoreSteps((int) adamT);
    try {
      trainer.restore(step(), meta("data_state"), datasetSize);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": metadata data_state: " + e.getMessage(), e);
    }
  }

  private float[] floats(String name, int[] shape) throws IOException {
    if (!st.has(name)) {
      throw new IOException(file + ": tensor '" + name + "' is missing");
    }
    if (!Arrays.equals(st.shape(name), shape)) {
      throw new IOException(file + ": tensor '" + name + "' has shape " + Arrays.toString(st.shape(name))
          + ", the model needs " + Arrays.toString(shape));
    }
    if (!"F32".equals(st.tensors().get(name).dtype())) {
      throw new IOException(file + ": tensor '" + name + "' is " + st.tensors().get(name).dtype() + ", not F32");
    }
    float[] values = st.floats(name);
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IOException(file + ": tensor '" + name + "' holds a non-finite value at element " + i);
      }
    }
    return values;
  }

  private String meta(String key) throws IOException {
    String v = st.metadata().get(key);
    if (v == null) {
      throw new IOException(file + ": metadata has no '" + key + "' (not a training checkpoint?)");
    }
    return v;
  }

  private long parseLong(String key) throws IOException {
    try {
      return Long.parseLong(meta(key));
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata " + key + " = '" + meta(key) + "' is not an integer", e);
    }
  }
}
