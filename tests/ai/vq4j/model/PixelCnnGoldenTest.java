package ai.vq4j.model;

import static ai.vq4j.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.vq4j.io.Safetensors;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import ai.vq4j.train.PriorStepMetrics;
import ai.vq4j.train.PriorTrainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A small Gated PixelCNN prior against PyTorch (tests/golden/make_pixelcnn.py): same weights, same codes (and
 * labels); the logits, each example's NLL, the loss, every parameter gradient and every parameter after one
 * Adam step must match, with and without class conditioning. Tolerances: logits atol 1e-5 + rtol 1e-4 and
 * loss / NLL 1e-5 relative (float32 through 3 gated layers and the head against float64); gradients atol
 * 1e-5 + rtol 1e-3; parameters after Adam atol 2e-6 (one step moves each by about lr = 1e-3, so a wrong
 * gradient sign is off by 2e-3).
 */
class PixelCnnGoldenTest {
  @ParameterizedTest
  @ValueSource(strings = {"pixelcnn_step", "pixelcnn_step_cond"})
  void forwardBackwardAndAdamMatchPyTorch(String name) throws Exception {
    Safetensors g = Safetensors.read(Path.of("tests", "golden", "data", name + ".safetensors"));
    PixelCnnConfig c = new PixelCnnConfig();
    c.numCodes = Integer.parseInt(g.meta("num_codes"));
    c.gridSize = Integer.parseInt(g.meta("grid"));
    c.hidden = Integer.parseInt(g.meta("hidden"));
    c.layers = Integer.parseInt(g.meta("layers"));
    c.kernelSize = Integer.parseInt(g.meta("kernel"));
    c.firstKernelSize = Integer.parseInt(g.meta("first_kernel"));
    c.outputHidden = Integer.parseInt(g.meta("output_hidden"));
    c.numClasses = Integer.parseInt(g.meta("num_classes"));
    double lr = Double.parseDouble(g.meta("lr"));
    boolean cond = c.numClasses > 0;

    try (PixelCnnPrior prior = new PixelCnnPrior(c, Device.CPU);
         PriorTrainer trainer = new PriorTrainer(prior, lr, 0, 1);
         Tensor codes = Tensor.ofInts(Device.CPU, g.ints("codes"), g.shape("codes"));
         Tensor labels = cond ? Tensor.ofInts(Device.CPU, g.ints("labels"), g.shape("labels")) : null) {
      List<Parameter> params = prior.parameters();
      assertEquals(g.tensors().keySet().stream().filter(k -> k.startsWith("param.")).count(), params.size(),
          "parameter count");
      for (Parameter p : params) {
        p.load(g.floats("param." + p.name()), g.shape("param." + p.name()));
      }
      assertClose("logits", g.floats("logits"), prior.forward(codes, labels).toFloatArray(), 1e-5, 1e-4);
      double[] nll = prior.nll(codes, labels == null ? null : labels.toIntArray());
      float[] want = g.floats("nll");
      for (int i = 0; i < nll.length; i++) {
        assertEquals(want[i], nll[i], 1e-5 * want[i], "NLL of example " + i);
      }
      PriorStepMetrics m = trainer.step(codes, labels);
      double loss = Double.parseDouble(g.meta("loss"));
      assertEquals(loss, m.loss(), 1e-5 * loss, "loss");
      assertEquals(loss / Math.log(2), m.bitsPerCode(), 1e-5 * loss, "bits per code");
      for (Parameter p : params) {
        assertClose("grad." + p.name(), g.floats("grad." + p.name()), p.grad().toFloatArray(), 1e-5, 1e-3);
        assertClose("after." + p.name(), g.floats("after." + p.name()), p.value().toFloatArray(), 2e-6, 0);
      }
    }
  }
}
