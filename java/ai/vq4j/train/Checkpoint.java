package ai.vq4j.train;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.CheckpointShapes;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VQ-VAE checkpoints in safetensors. Tensors: {@code model.<parameter>} for every parameter (the codebook
 * included), {@code quantizer.usage} and the EMA state ({@code quantizer.ema_count}, {@code
 * quantizer.ema_sum}) when there is one, and for a training checkpoint {@code adam.m.<parameter>} and
 * {@code adam.v.<parameter>}. Metadata: format, layout, the model config (JSON), and for a training
 * checkpoint the train config, step, Adam's step count, the trainer's RNG state and the data loader's
 * state. Written to a temporary file and renamed. A file that does not fit is an IOException naming the
 * file and the tensor or field at fault.
 */
public final class Checkpoint {
  public static final String FORMAT = "vq4j-vqvae-1";
  public static final String LAYOUT =
      "NHWC activations; conv weights [Co, kH, kW, Ci]; transposed-conv weights [Ci, kH, kW, Co]";

  private final Path file;
  private final Safetensors st;
  private final CheckpointFile fields;
  private final VqVaeConfig config;

  private Checkpoint(Path file, Safetensors st, VqVaeConfig config) {
    this.file = file;
    this.st = st;
    this.fields = new CheckpointFile(file, st);
    this.config = config;
  }

  /** Writes the model alone (no optimizer state): what reconstruct, encode and decode need. */
  public static void saveModel(Path file, VqVae model) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(model, tensors, meta);
    new Safetensors(tensors, meta).write(file);
  }

  /** Writes everything a resumed run needs to continue exactly. */
  public static void save(Path file, VqVaeTrainer trainer, TrainConfig trainConfig, String dataState)
      throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(trainer.model(), tensors, meta);
    CheckpointFile.putAdam(trainer.optimizer(), tensors, meta);
    meta.put("train_config", trainConfig.toJson());
    meta.put("step", Long.toString(trainer.steps()));
    meta.put("rng_state", Long.toString(trainer.rng().state()));
    meta.put("data_variance", Float.toString((float) trainer.dataVariance()));
    meta.put("data_state", dataState == null ? "" : dataState);
    new Safetensors(tensors, meta).write(file);
  }

  private static void putModel(VqVae model, Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    meta.put("format", FORMAT);
    meta.put("layout", LAYOUT);
    meta.put("model_config", model.config().toJson());
    for (Parameter p : model.parameters()) {
      tensors.put("model." + p.name(), CheckpointFile.entry(p.value()));
    }
    Quantizer q = model.quantizer();
    tensors.put("quantizer.usage", Safetensors.Entry.of(q.usage(), q.numCodes()));
    List<Tensor> state = q.stateTensors();
    for (int i = 0; i < state.size(); i++) {
      tensors.put("quantizer." + q.stateNames().get(i), CheckpointFile.entry(state.get(i)));
    }
  }


  /** Reads and checks the header of a checkpoint (format and model config). */
  public static Checkpoint read(Path file) throws IOException {
    Safetensors st = Safetensors.read(file);
    String format = st.metadata().get("format");
    if (!FORMAT.equals(format)) {
      throw new IOException(file + ": not a vq4j VQ-VAE checkpoint (metadata format = " + format + ", expected "
          + FORMAT + ")");
    }
    String json = st.metadata().get("model_config");
    if (json == null) {
      throw new IOException(file + ": metadata has no model_config");
    }
    try {
      return new Checkpoint(file, st, VqVaeConfig.fromJson(json));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": model_config: " + e.getMessage(), e);
    }
  }

  /** Reads a checkpoint and builds its model on the device. */
  public static VqVae loadModel(Path file, Device device) throws IOException {
    return read(file).model(device);
  }

  public VqVaeConfig config() {
    return config.copy();
  }

  public Path file() {
    return file;
  }

  public boolean isTrainingCheckpoint() {
    return st.metadata().containsKey("train_config");
  }

  /** A new model on the device with this checkpoint's weights and quantizer state. */
  public VqVae model(Device device) throws IOException {
    VqVae model = new VqVae(config, device);
    try {
      Map<String, int[]> expected = new LinkedHashMap<>();
      for (Parameter p : model.parameters()) {
        expected.put("model." + p.name(), p.shape());
      }
      CheckpointShapes.requireExactly(file, fields.shapes(), "model.", expected);
      for (Parameter p : model.parameters()) {
        p.value().copyFrom(fields.floats("model." + p.name(), p.shape()));
      }
      Quantizer q = model.quantizer();
      q.restoreUsage(fields.floats("quantizer.usage", new int[] {q.numCodes()}));
      List<Tensor> state = q.stateTensors();
      for (int i = 0; i < state.size(); i++) {
        state.get(i).copyFrom(fields.floats("quantizer." + q.stateNames().get(i), state.get(i).shape()));
      }
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  public TrainConfig trainConfig() throws IOException {
    try {
      return TrainConfig.fromJson(fields.meta("train_config"));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": train_config: " + e.getMessage(), e);
    }
  }

  public long step() throws IOException {
    return fields.parseLong("step");
  }

  public double dataVariance() throws IOException {
    double v;
    try {
      v = Double.parseDouble(fields.meta("data_variance"));
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata data_variance is not a number", e);
    }
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IOException(file + ": metadata data_variance = " + v + " must be a finite positive number");
    }
    return v;
  }

  public String dataState() throws IOException {
    return fields.meta("data_state");
  }

  /** Puts the optimizer state, step and RNG of this training checkpoint into a trainer of its model. */
  public void restore(VqVaeTrainer trainer) throws IOException {
    fields.restoreAdam(trainer.optimizer());
    trainer.restore(step(), fields.parseLong("rng_state"));
  }
}
