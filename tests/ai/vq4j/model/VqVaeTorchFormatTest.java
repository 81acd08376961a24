package ai.vq4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PyTorch state-dict format against PyTorch itself (tests/golden/make_pytorch_vqvae.py runs
 * examples/pytorch/vqvae.py): weights drawn and saved by PyTorch, read here, give PyTorch's forward pass (the
 * same codes; z_e and the reconstruction within 1e-6 + 1e-5 |PyTorch|, where 1.2e-7 was measured), and written
 * back they are the same bits PyTorch wrote, tensor for tensor (JUnit compares float arrays bit for bit).
 * Malformed state dicts are refused naming the tensor.
 */
class VqVaeTorchFormatTest {
  static final Path GOLDEN = Path.of("tests", "golden", "data");
  static final double ATOL = 1e-6;
  static final double RTOL = 1e-5;

  @TempDir
  Path dir;

  static Path stateDict(String name) {
    return GOLDEN.resolve("pytorch_vqvae_" + name + ".safetensors");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sonnet_ema", "paper"})
  void pytorchForwardEqualsVq4jForward(String name) throws IOException {
    Safetensors ref = Safetensors.read(GOLDEN.resolve("pytorch_vqvae_" + name + "_forward.safetensors"));
    VqVaeConfig config = VqVaeTorchFormat.storedConfig(stateDict(name));
    try (VqVae model = VqVaeTorchFormat.read(stateDict(name), config, Device.CPU);
         Tensor x = Tensor.of(Device.CPU, ref.floats("input"), ref.shape("input"))) {
      assertClose("z_e", ref.floats("z_e"), model.encode(x).toFloatArray());
      Tensor recon = model.forward(x, false);
      assertArrayEquals(ref.ints("codes"), model.quantizer().codes().toIntArray(), "codes");
      assertClose("reconstruction", ref.floats("recon"), recon.toFloatArray());
    }
  }

  static void assertClose(String what, float[] want, float[] got) {
    assertEquals(want.length, got.length, what + " size");
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs(got[i] - want[i]) - (ATOL + RTOL * Math.abs(want[i]));
      assertTrue(err <= 0, what + "[" + i + "]: vq4j " + got[i] + ", PyTorch " + want[i]);
      worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
    System.out.printf("%s: max |vq4j - PyTorch| = %.2e over %d values%n", what, worst, want.length);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sonnet_ema", "paper"})
  void readThenWriteGivesPyTorchsTensorsBitForBit(String name) throws IOException {
    Path back = dir.resolve(name + ".safetensors");
    VqVaeConfig config = VqVaeTorchFormat.storedConfig(stateDict(name));
    try (VqVae model = VqVaeTorchFormat.read(stateDict(name), config, Device.CPU)) {
      VqVaeTorchFormat.write(back, model);
    }
    Safetensors want = Safetensors.read(stateDict(name));
    Safetensors got = Safetensors.read(back);
    assertEquals(want.tensors().keySet(), got.tensors().keySet());
    for (String t : want.tensors().keySet()) {
      assertArrayEquals(want.shape(t), got.shape(t), t);
      assertArrayEquals(want.floats(t), got.floats(t), t);
    }
    assertEquals(config.toJson(), VqVaeTorchFormat.storedConfig(back).toJson());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aVq4jModelWrittenAndReadBackIsTheSameModel(boolean ema) throws IOException {
    VqVaeConfig config = new VqVaeConfig();
    config.imageSize = 8;
    config.hidden = 8;
    config.residualHidden = 4;
    config.residualBlocks = 1;
    config.embeddingDim = 4;
    config.numEmbeddings = 16;
    config.ema = ema;
    config.seed = 11;
    Path file = dir.resolve("model.safetensors");
    try (VqVae model = new VqVae(config, Device.CPU)) {
      VqVaeTorchFormat.write(file, model);
      try (VqVae back = VqVaeTorchFormat.read(file, VqVaeTorchFormat.storedConfig(file), Device.CPU)) {
        for (int i = 0; i < model.parameters().size(); i++) {
          assertArrayEquals(model.parameters().get(i).value().toFloatArray(),
              back.parameters().get(i).value().toFloatArray(), model.parameters().get(i).name());
        }
        assertArrayEquals(model.quantizer().usage(), back.quantizer().usage());
        assertEquals(ema ? 2 : 0, back.quantizer().stateTensors().size());
      }
      // A PyTorch conv weight is [Co, Ci, kH, kW]: encoder.conv1 maps 1 image channel to hidden / 2.
      assertArrayEquals(new int[] {4, 1, 4, 4}, Safetensors.read(file).shape("encoder.conv1.weight"));
      assertArrayEquals(new int[] {4, 1, 4, 4}, Safetensors.read(file).shape("decoder.convt2.weight"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "shape", "extra", "nan"})
  void aStateDictThatDoesNotFitIsRefusedNamingTheTensor(String fault) throws IOException {
    Safetensors st = Safetensors.read(stateDict("paper"));
    Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(st.tensors());
    String expected;
    switch (fault) {
      case "missing":
        tensors.remove("decoder.convt1.bias");
        expected = "tensor 'decoder.convt1.bias' is missing";
        break;
      case "shape":
        int[] s = st.shape("encoder.conv2.weight");
        tensors.put("encoder.conv2.weight", Safetensors.Entry.of(st.floats("encoder.conv2.weight"), s[0], s[2], s[3], s[1]));
        expected = "tensor 'encoder.conv2.weight' has shape [16, 4, 4, 16], the model needs [16, 16, 4, 4]";
        break;
      case "extra":
        tensors.put("decoder.convt3.weight", Safetensors.Entry.of(new float[] {1}, 1));
        expected = "tensors [decoder.convt3.weight] are not in this model";
        break;
      default:
        float[] v = st.floats("quantizer.codebook");
        v[5] = Float.NaN;
        tensors.put("quantizer.codebook", Safetensors.Entry.of(v, st.shape("quantizer.codebook")));
        expected = "tensor 'quantizer.codebook' holds a non-finite value at element 5";
    }
    Path bad = dir.resolve(fault + ".safetensors");
    new Safetensors(tensors, st.metadata()).write(bad);
    IOException e = assertThrows(IOException.class,
        () -> VqVaeTorchFormat.read(bad, VqVaeTorchFormat.storedConfig(bad), Device.CPU).close());
    assertTrue(e.getMessage().startsWith(bad + ": ") && e.getMessage().contains(expected), e.getMessage());
  }
}
