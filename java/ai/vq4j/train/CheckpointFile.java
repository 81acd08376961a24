package ai.vq4j.train;

import ai.vq4j.io.Safetensors;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * What both checkpoint kinds share: checked reads of tensors and metadata that name the file and the field at
 * fault, and the optimizer state ({@code adam.m.<parameter>}, {@code adam.v.<parameter>}, metadata {@code
 * adam_t}) written and restored the same way.
 */
final class CheckpointFile {
  private final Path file;
  private final Safetensors st;

  CheckpointFile(Path file, Safetensors st) {
    this.file = file;
    this.st = st;
  }

  static Safetensors.Entry entry(Tensor t) {
    return Safetensors.Entry.of(t.toFloatArray(), t.shape());
  }

  static void putAdam(Adam adam, Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
    for (Parameter p : adam.parameters()) {
      tensors.put("adam.m." + p.name(), entry(adam.firstMoment(p)));
      tensors.put("adam.v." + p.name(), entry(adam.secondMoment(p)));
    }
    meta.put("adam_t", Integer.toString(adam.steps()));
  }

  void restoreAdam(Adam adam) throws IOException {
    for (Parameter p : adam.parameters()) {
      adam.firstMoment(p).copyFrom(floats("adam.m." + p.name(), p.shape()));
      adam.secondMoment(p).copyFrom(floats("adam.v." + p.name(), p.shape()));
    }
    long adamT = parseLong("adam_t");
    if (adamT < 0 || adamT > Integer.MAX_VALUE) {
      throw new IOException(file + ": metadata adam_t = " + adamT + " is out of range");
    }
    adam.restoreSteps((int) adamT);
  }

  /** The shape of every tensor in the file, by name. */
  Map<String, int[]> shapes() {
    Map<String, int[]> out = new java.util.LinkedHashMap<>();
    st.tensors().forEach((name, e) -> out.put(name, e.shape()));
    return out;
  }

  /** An F32 tensor of exactly this shape holding only finite values. */
  float[] floats(String name, int[] shape) throws IOException {
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

  String meta(String key) throws IOException {
    String v = st.metadata().get(key);
    if (v == null) {
      throw new IOException(file + ": metadata has no '" + key + "' (not a training checkpoint?)");
    }
    return v;
  }

  long parseLong(String key) throws IOException {
    try {
      return Long.parseLong(meta(key));
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata " + key + " = '" + meta(key) + "' is not an integer", e);
    }
  }
}
