package ai.vq4j.checkpoint;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.CheckpointShapes;
import ai.vq4j.model.Prior;
import ai.vq4j.model.PriorConfig;
import ai.vq4j.model.PriorKind;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prior checkpoints in safetensors, as far as a model is concerned, in the style of {@link VqVaeCheckpoint}, for
 * every kind of prior. Tensors: {@code model.<parameter>} for every parameter. Metadata: format, the kind of
 * prior ({@code prior_model}: pixelcnn or transformer), its layout, the model config (JSON), the VQ-VAE checkpoint
 * whose codes the prior models (when known: path, SHA-256, step). A training checkpoint adds the training state
 * on top (the training package's TrainingCheckpoint). Written to a temporary file and renamed. A file that does
 * not fit is an IOException naming the file and the tensor or field at fault.
 *
 * <p>Checkpoints written before the Transformer prior (format {@value #PIXELCNN_FORMAT}, no {@code prior_model})
 * hold a PixelCNN, and load as one.
 */
public final class PriorCheckpoint {
  public static final String FORMAT = "vq4j-prior-1";
  /** The format of the PixelCNN-only checkpoints before there was a choice of prior. */
  public static final String PIXELCNN_FORMAT = "vq4j-pixelcnn-1";
  public static final String KIND = "prior_model";

  private final CheckpointFile fields;
  private final PriorConfig config;

  private PriorCheckpoint(CheckpointFile fields, PriorConfig config) {
    this.fields = fields;
    this.config = config;
  }

  /** Writes the model alone (no optimizer state): what sampling and scoring need. source may be null. */
  public static void saveModel(Path file, Prior prior, CodeDataset.Source source) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    Map<String, String> meta = new LinkedHashMap<>();
    putModel(prior, tensors, meta);
    putSource(source, meta);
    new Safetensors(tensors, meta).write(file);
  }

  /** The model's tensors and metadata, as every prior checkpoint holds them. */
  public static void putModel(Prior prior, Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    PriorConfig config = prior.config();
    meta.put("format", FORMAT);
    meta.put(KIND, config.kind().id());
    meta.put("layout", config.kind().layout());
    meta.put("model_config", config.toJson());
    for (Parameter p : prior.parameters()) {
      tensors.put("model." + p.name(), CheckpointFile.entry("model." + p.name(), p.value()));
    }
  }

  /** The VQ-VAE checkpoint whose codes the prior models, as metadata; nothing when source is null. */
  public static void putSource(CodeDataset.Source source, Map<String, String> meta) {
    if (source != null) {
      meta.put("vqvae_checkpoint", source.checkpoint());
      meta.put("vqvae_sha256", source.sha256());
      meta.put("vqvae_step", Long.toString(source.step()));
    }
  }

  /** Reads and checks the header of a prior checkpoint (format, kind and model config). */
  public static PriorCheckpoint read(Path file) throws IOException {
    CheckpointFile f = CheckpointFile.open(file, List.of(FORMAT, PIXELCNN_FORMAT), "prior");
    PriorKind kind;
    if (f.format().equals(PIXELCNN_FORMAT)) {
      kind = PriorKind.PIXELCNN;
      if (f.hasMeta(KIND) && !f.metadata().get(KIND).equals(kind.id())) {
        throw new IOException(file + ": metadata " + KIND + " = '" + f.metadata().get(KIND) + "' in a "
            + PIXELCNN_FORMAT + " checkpoint, which holds a PixelCNN");
      }
    } else {
      try {
        kind = PriorKind.of(f.meta(KIND), "metadata " + KIND);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
    }
    return new PriorCheckpoint(f, f.modelConfig(kind::parseConfig));
  }

  /** Reads a prior checkpoint and builds its model on the device. */
  public static Prior loadModel(Path file, Device device) throws IOException {
    return read(file).model(device);
  }

  public PriorKind kind() {
    return config.kind();
  }

  /** The model config (a copy: the caller may change it). */
  public PriorConfig config() {
    return config.kind().parseConfig(config.toJson());
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

  /** The VQ-VAE checkpoint whose codes the prior models, or null when the checkpoint does not say. */
  public CodeDataset.Source source() throws IOException {
    if (!fields.hasMeta("vqvae_sha256")) {
      return null;
    }
    return new CodeDataset.Source(fields.meta("vqvae_checkpoint"), fields.meta("vqvae_sha256"),
        fields.parseLong("vqvae_step"));
  }

  /** A new prior on the device with this checkpoint's weights. */
  public Prior model(Device device) throws IOException {
    CheckpointShapes.requireCount(fields.file(), fields.shapes(), "model.", config.parameterCount());
    Prior prior = config.build(device);
    try {
      Map<String, int[]> expected = new LinkedHashMap<>();
      for (Parameter p : prior.parameters()) {
        expected.put("model." + p.name(), p.shape());
      }
      CheckpointShapes.requireExactly(fields.file(), fields.shapes(), "model.", expected);
      for (Parameter p : prior.parameters()) {
        p.value().copyFrom(fields.floats("model." + p.name(), p.shape()));
      }
    } catch (IOException | RuntimeException e) {
      prior.close();
      throw e;
    }
    return prior;
  }
}
