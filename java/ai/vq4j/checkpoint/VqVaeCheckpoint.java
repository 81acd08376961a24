package ai.vq4j.checkpoint;

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
 * VQ-VAE checkpoints in safetensors, as far as a model is concerned. Tensors: {@code model.<parameter>} for
 * every parameter (the codebook included), {@code quantizer.usage} and the EMA state ({@code
 * quantizer.ema_count}, {@code quantizer.ema_sum}) when there is one. Metadata: format, layout, the model
 * config (JSON). A training checkpoint adds the training state on top (the training package's
 * TrainingCheckpoint); both load here as a model. Written to a temporary file and renamed. A
 * file that does not fit is an IOException naming the file and the tensor or field at fault.
 */
public final class VqVaeCheckpoint {
  public static final String FORMAT = "vq4j-vqvae-1";
  public static final String LAYOUT =
      "NHWC activations; conv weights [Co, kH, kW, Ci]; transposed-conv weights [Ci, kH, kW, Co]";

  private final CheckpointFile fields;
  private final VqVaeConfig config;

  private VqVaeCheckpoint(CheckpointFile fields, VqVaeConfig config) {
    this.fields = fields;
    this.config = config;
  }

  /** Writes the model alone (no optimizer state): what reconstruct, encode and decode need. */
  public static void saveModel(Path file, VqVae model) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(model, tensors, meta);
    new Safetensors(tensors, meta).write(file);
  }

  /** The model's tensors and metadata, as every VQ-VAE checkpoint holds them. */
  public static void putModel(VqVae model, Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    meta.put("format", FORMAT);
    meta.put("layout", LAYOUT);
    meta.put("model_config", model.config().toJson());
    for (Parameter p : model.parameters()) {
      tensors.put("model." + p.name(), CheckpointFile.entry("model." + p.name(), p.value()));
    }
    Quantizer q = model.quantizer();
    tensors.put("quantizer.usage", Safetensors.Entry.of(q.usage(), q.numCodes()));
    List<Tensor> state = q.stateTensors();
    for (int i = 0; i < state.size(); i++) {
      String name = "quantizer." + q.stateNames().get(i);
      tensors.put(name, CheckpointFile.entry(name, state.get(i)));
    }
  }

  /** Reads and checks the header of a checkpoint (format and model config). */
  public static VqVaeCheckpoint read(Path file) throws IOException {
    CheckpointFile f = CheckpointFile.open(file, FORMAT, "VQ-VAE");
    return new VqVaeCheckpoint(f, f.modelConfig(VqVaeConfig::fromJson));
  }

  /** Reads a checkpoint and builds its model on the device. */
  public static VqVae loadModel(Path file, Device device) throws IOException {
    return read(file).model(device);
  }

  public VqVaeConfig config() {
    return config.copy();
  }

  public Path file() {
    return fields.file();
  }

  /** The checked reads of this file, for the training state a training checkpoint adds. */
  public CheckpointFile fields() {
    return fields;
  }

  public boolean isTrainingCheckpoint() {
    return fields.isTrainingCheckpoint();
  }

  /** The training step of a training checkpoint. */
  public long step() throws IOException {
    return fields.parseLong("step");
  }

  /** A new model on the device with this checkpoint's weights and quantizer state. */
  public VqVae model(Device device) throws IOException {
    CheckpointShapes.requireCount(fields.file(), fields.shapes(), "model.", config.parameterCount());
    VqVae model = new VqVae(config, device);
    try {
      Map<String, int[]> expected = new LinkedHashMap<>();
      for (Parameter p : model.parameters()) {
        expected.put("model." + p.name(), p.shape());
      }
      CheckpointShapes.requireExactly(fields.file(), fields.shapes(), "model.", expected);
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
}
