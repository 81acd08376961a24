package ai.vq4j.checkpoint;

import ai.vq4j.io.Safetensors;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A checkpoint file as every kind reads it: the safetensors file with its format checked, and reads of
 * tensors and metadata that name the file and the field at fault. Model checkpoints ({@link VqVaeCheckpoint},
 * {@link PriorCheckpoint}) and the training state on top of them (the training package's TrainingCheckpoint)
 * read through it.
 */
public final class CheckpointFile {
  private final Path file;
  private final Safetensors st;

  private CheckpointFile(Path file, Safetensors st) {
    this.file = file;
    this.st = st;
  }

  /** Reads a file and checks that its metadata format is the expected one (what names the kind in errors). */
  public static CheckpointFile open(Path file, String format, String kind) throws IOException {
    return open(file, List.of(format), kind);
  }

  /** As {@link #open(Path, String, String)} for a kind written in several formats over time. */
  public static CheckpointFile open(Path file, List<String> formats, String kind) throws IOException {
    Safetensors st = Safetensors.read(file);
    String found = st.metadata().get("format");
    if (!formats.contains(found)) {
      throw new IOException(file + ": not a vq4j " + kind + " checkpoint (metadata format = " + found + ", expected "
          + String.join(" or ", formats) + ")");
    }
    return new CheckpointFile(file, st);
  }

  /**
   * A host copy of a tensor as the checkpoint entry name. Non-finite values are refused: a checkpoint holding
   * them could not be loaded, and writing it would replace a good one.
   */
  public static Safetensors.Entry entry(String name, Tensor t) {
    float[] values = t.toFloatArray();
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new NonFiniteException("tensor '" + name + "' holds a non-finite value (" + values[i] + ") at element "
            + i);
      }
    }
    return Safetensors.Entry.of(values, t.shape());
  }

  /** A tensor about to be written holds NaN or infinity; nothing was written. */
  public static final class NonFiniteException extends IllegalStateException {
    public NonFiniteException(String message) {
      super(message);
    }
  }

  public Path file() {
    return file;
  }

  /** The format of the file (its metadata "format"). */
  public String format() {
    return st.metadata().get("format");
  }

  public boolean hasMeta(String key) {
    return st.metadata().containsKey(key);
  }

  public Map<String, String> metadata() {
    return st.metadata();
  }

  /** A training checkpoint carries its train config beside the model. */
  public boolean isTrainingCheckpoint() {
    return hasMeta("train_config");
  }

  /** The shape of every tensor in the file, by name. */
  public Map<String, int[]> shapes() {
    Map<String, int[]> out = new java.util.LinkedHashMap<>();
    st.tensors().forEach((name, e) -> out.put(name, e.shape()));
    return out;
  }

  /** An F32 tensor of exactly this shape holding only finite values. */
  public float[] floats(String name, int[] shape) throws IOException {
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

  public String meta(String key) throws IOException {
    String v = st.metadata().get(key);
    if (v == null) {
      throw new IOException(file + ": metadata has no '" + key + "' (not a training checkpoint?)");
    }
    return v;
  }

  public long parseLong(String key) throws IOException {
    try {
      return Long.parseLong(meta(key));
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata " + key + " = '" + meta(key) + "' is not an integer", e);
    }
  }

  public double parseDouble(String key) throws IOException {
    try {
      return Double.parseDouble(meta(key));
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata " + key + " = '" + meta(key) + "' is not a number", e);
    }
  }

  /** The metadata's model_config, parsed; a missing or invalid one is an IOException naming the file. */
  public <T> T modelConfig(Function<String, T> parse) throws IOException {
    String json = st.metadata().get("model_config");
    if (json == null) {
      throw new IOException(file + ": metadata has no model_config");
    }
    try {
      return parse.apply(json);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": model_config: " + e.getMessage(), e);
    }
  }
}
