package ai.vq4j.model;

import static ai.vq4j.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.vq4j.io.Safetensors;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A small Transformer prior against PyTorch (tests/golden/make_transformer.py, transformer_case): same weights,
 * same codes (and labels); the logits, the mean cross-entropy and every parameter gradient must match, with
 * and without the class token. Float32 through 2 blocks against float64: logits atol 1e-5 + rtol 1e-4,
 * gradients atol 1e-5 + rtol 1e-3.
 */
class TransformerGoldenTest {
  static Stream<Arguments> cases() {
    return Stream.of("transformer_prior", "transformer_prior_cond")
        .flatMap(n -> Stream.of(Arguments.of(n, false), Arguments.of(n, true)));
  }

  /** On the CPU, and on CUDA where a GPU is present (skipped visibly otherwise). */
  @ParameterizedTest
  @MethodSource("cases")
  void forwardLossAndGradientsMatchPyTorch(String name, boolean cuda) throws Exception {
    if (cuda) {
      assumeTrue(Device.cudaDeviceCount() > 0, "no CUDA GPU on this machine: the CUDA run of this test needs one");
    }
    Device device = cuda ? Device.cuda(0) : Device.CPU;
    Safetensors g = Safetensors.read(Path.of("tests", "golden", "data", name + ".safetensors"));
    TransformerConfig c = new TransformerConfig();
    c.numCodes = Integer.parseInt(g.meta("num_codes"));
    c.gridSize = Integer.parseInt(g.meta("grid"));
    c.width = Integer.parseInt(g.meta("width"));
    c.depth = Integer.parseInt(g.meta("depth"));
    c.heads = Integer.parseInt(g.meta("heads"));
    c.mlpRatio = Integer.parseInt(g.meta("mlp_ratio"));
    c.numClasses = Integer.parseInt(g.meta("num_classes"));
    int[] labels = c.numClasses > 0 ? g.ints("labels") : null;
    try (TransformerPrior prior = new TransformerPrior(c, device);
         Tensor codes = Tensor.ofInts(device, g.ints("codes"), g.shape("codes"))) {
      List<Parameter> params = prior.parameters();
      assertEquals(g.tensors().keySet().stream().filter(k -> k.startsWith("param.")).count(), params.size(),
          "parameter count");
      for (Parameter p : params) {
        p.load(g.floats("param." + p.name()), g.shape("param." + p.name()));
      }
      assertClose("logits", g.floats("logits"), prior.forward(codes, labels).toFloatArray(), 1e-5, 1e-4);
      float loss = prior.lossAndBackward(codes).item();
      float want = g.floats("loss")[0];
      assertEquals(want, loss, 1e-5 * want, "loss");
      for (Parameter p : params) {
        assertClose("grad " + p.name(), g.floats("grad." + p.name()), p.grad().toFloatArray(), 1e-5, 1e-3);
      }
    }
  }
}
