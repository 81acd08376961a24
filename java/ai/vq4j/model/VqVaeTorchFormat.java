package ai.vq4j.model;

import ai.vq4j.io.Safetensors;
import ai.vq4j.nn.Parameter;
import ai.vq4j.nn.Quantizer;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A VQ-VAE as a PyTorch state dict in safetensors, which {@code examples/pytorch/vqvae.py} loads with
 * {@code model.load_state_dict(safetensors.torch.load_file(path))}. The names are vq4j's parameter names,
 * which already are PyTorch's dotted module paths. Conv weights go from [Co, kH, kW, Ci] to PyTorch's
 * [Co, Ci, kH, kW] and transposed-conv weights from [Ci, kH, kW, Co] to [Ci, Co, kH, kW]: both move the last
 * axis to the second. Biases and the codebook [K, D] keep their layout. The quantizer's state ({@code
 * quantizer.usage}, and {@code quantizer.ema_count}, {@code quantizer.ema_sum} for an EMA codebook) travels as
 * buffers, so that an export read back gives the same model bit for bit. Metadata: format, layout and
 * {@code model_config} (vq4j's JSON), from which the PyTorch module takes its shape.
 *
 * <p>Reading is strict, as {@code load_state_dict} is: every tensor present with its PyTorch shape, F32,
 * finite, and no tensor the model does not have; an error names the file and the tensor.
 */
public final class VqVaeTorchFormat {
  public static final String FORMAT = "vq4j-vqvae-pytorch-1";
  public static final String LAYOUT =
      "PyTorch NCHW: Conv2d weight [Co, Ci, kH, kW]; ConvTranspose2d weight [Ci, Co, kH, kW]";

  private VqVaeTorchFormat() {}

  /** Writes the model's state dict in PyTorch's layout. */
  public static void write(Path file, VqVae model) throws IOException {
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
    List<Parameter> permuted = convWeights(model);
    for (Parameter p : model.parameters()) {
      float[] v = p.value().toFloatArray();
      int[] shape = p.shape();
      tensors.put(p.name(), permuted.contains(p)
          ? Safetensors.Entry.of(channelsSecond(v, shape), torchShape(shape)) : Safetensors.Entry.of(v, shape));
    }
    Quantizer q = model.quantizer();
    tensors.put("quantizer.usage", Safetensors.Entry.of(q.usage(), q.numCodes()));
    List<Tensor> state = q.stateTensors();
    for (int i = 0; i < state.size(); i++) {
      tensors.put("quantizer." + q.stateNames().get(i),
          Safetensors.Entry.of(state.get(i).toFloatArray(), state.get(i).shape()));
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("layout", LAYOUT);
    meta.put("model_config", model.config().toJson());
    new Safetensors(tensors, meta).write(file);
  }

  /** The model config stored in an export's metadata, or null when the file has none. */
  public static VqVaeConfig storedConfig(Path file) throws IOException {
    String json = Safetensors.read(file).metadata().get("model_config");
    try {
      return json == null ? null : VqVaeConfig.fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": metadata model_config: " + e.getMessage(), e);
    }
  }

  /** Builds a model of this config on the device with the state dict's weights and quantizer state. */
  public static VqVae read(Path file, VqVaeConfig config, Device device) throws IOException {
    Safetensors st = Safetensors.read(file);
    VqVae model = new VqVae(config, device);
    try {
      TreeSet<String> unused = new TreeSet<>(st.tensors().keySet());
      List<Parameter> permuted = convWeights(model);
      for (Parameter p : model.parameters()) {
        int[] shape = p.shape();
        boolean torch = permuted.contains(p);
        float[] v = floats(file, st, p.name(), torch ? torchShape(shape) : shape);
        p.value().copyFrom(torch ? channelsLast(v, shape) : v);
        unused.remove(p.name());
      }
      Quantizer q = model.quantizer();
      q.restoreUsage(floats(file, st, "quantizer.usage", new int[] {q.numCodes()}));
      unused.remove("quantizer.usage");
      List<Tensor> state = q.stateTensors();
      for (int i = 0; i < state.size(); i++) {
        String name = "quantizer." + q.stateNames().get(i);
        state.get(i).copyFrom(floats(file, st, name, state.get(i).shape()));
        unused.remove(name);
      }
      if (!unused.isEmpty()) {
        throw new IOException(file + ": tensors " + unused + " are not in this model (a different config?)");
      }
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  /**
   * The weights whose layout differs from PyTorch's: those of every conv and transposed conv, the model's
   * only rank-4 parameters. Both take the same permutation, so which kind a weight belongs to does not matter.
   */
  private static List<Parameter> convWeights(VqVae model) {
    return model.parameters().stream().filter(p -> p.shape().length == 4).toList();
  }

  private static int[] torchShape(int[] s) {
    return new int[] {s[0], s[3], s[1], s[2]};
  }

  /** [a, h, w, b] to [a, b, h, w]. */
  static float[] channelsSecond(float[] v, int[] s) {
    int a = s[0], h = s[1], w = s[2], b = s[3];
    float[] out = new float[v.length];
    for (int x = 0; x < a; x++)
      for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
          for (int c = 0; c < b; c++)
            out[((x * b + c) * h + i) * w + j] = v[((x * h + i) * w + j) * b + c];
    return out;
  }

  /** [a, b, h, w] back to [a, h, w, b], for vq4j's shape s = [a, h, w, b]. */
  static float[] channelsLast(float[] v, int[] s) {
    int a = s[0], h = s[1], w = s[2], b = s[3];
    float[] out = new float[v.length];
    for (int x = 0; x < a; x++)
      for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
          for (int c = 0; c < b; c++)
            out[((x * h + i) * w + j) * b + c] = v[((x * b + c) * h + i) * w + j];
    return out;
  }

  private static float[] floats(Path file, Safetensors st, String name, int[] shape) throws IOException {
    if (!st.has(name)) {
      throw new IOException(file + ": tensor '" + name + "' is missing (the model's state dict has it)");
    }
    if (!Arrays.equals(st.shape(name), shape)) {
      throw new IOException(file + ": tensor '" + name + "' has shape " + Arrays.toString(st.shape(name))
          + ", the model needs " + Arrays.toString(shape) + " (PyTorch layout)");
    }
    if (!"F32".equals(st.tensors().get(name).dtype())) {
      throw new IOException(file + ": tensor '" + name + "' is " + st.tensors().get(name).dtype()
          + ", not F32 (save float32 tensors: .float())");
    }
    float[] v = st.floats(name);
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new IOException(file + ": tensor '" + name + "' holds a non-finite value at element " + i);
      }
    }
    return v;
  }
}
