package ai.vq4j.train;

import static ai.vq4j.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.vq4j.io.Safetensors;
import ai.vq4j.model.VqVae;
import ai.vq4j.model.VqVaeConfig;
import ai.vq4j.nn.Parameter;
import ai.vq4j.tensor.Device;
import ai.vq4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One full VQ-VAE training step against PyTorch (tests/golden/make_vqvae_step.py): same weights, same batch;
 * the loss, its parts, the codes, every parameter gradient and every parameter after one Adam step must
 * match. Tolerances: loss 1e-5 relative; gradients atol 2e-5 + rtol 1e-3 (float32 through ~15 layers against
 * float64); parameters after Adam atol 2e-6 (an Adam step moves each by about lr = 3e-4, so a gradient of the
 * wrong sign would be off by 6e-4); the EMA codebook and statistics 1e-5.
 */
class VqVaeGoldenStepTest {
  @ParameterizedTest
  @ValueSource(strings = {"vqvae_step", "vqvae_step_ema"})
  void oneStepMatchesPyTorch(String name) throws Exception {
    Safetensors g = Safetensors.read(Path.of("tests", "golden", "data", name + ".safetensors"));
    boolean ema = Boolean.parseBoolean(g.meta("ema"));
    VqVaeConfig c = new VqVaeConfig();
    c.imageChannels = Integer.parseInt(g.meta("image_channels"));
    c.imageSize = Integer.parseInt(g.meta("image_size"));
    c.hidden = Integer.parseInt(g.meta("hidden"));
    c.residualHidden = Integer.parseInt(g.meta("residual_hidden"));
    c.residualBlocks = Integer.parseInt(g.meta("residual_blocks"));
    c.embeddingDim = Integer.parseInt(g.meta("embedding_dim"));
    c.numEmbeddings = Integer.parseInt(g.meta("num_embeddings"));
    c.beta = Float.parseFloat(g.meta("beta"));
    c.ema = ema;
    c.emaDecay = Float.parseFloat(g.meta("ema_decay"));
    c.emaEpsilon = Float.parseFloat(g.meta("ema_eps"));
    c.initCodebookFromData = false;
    c.restartDeadCodes = false;
    double variance = Double.parseDouble(g.meta("data_variance"));
    double lr = Double.parseDouble(g.meta("lr"));

    try (VqVae model = new VqVae(c, Device.CPU);
         VqVaeTrainer trainer = new VqVaeTrainer(model, lr, 0, variance, 1);
         Tensor x = Tensor.of(Device.CPU, g.floats("x"), g.shape("x"))) {
      List<Parameter> params = model.parameters();
      assertEquals(g.tensors().keySet().stream().filter(k -> k.startsWith("param.")).count(), params.size(),
          "parameter count");
      for (Parameter p : params) {
        p.load(g.floats("param." + p.name()), g.shape("param." + p.name()));
      }
      model.quantizer().resetCodeStatistics();

      assertClose("z_e", g.floats("z_e"), model.encode(x).toFloatArray(), 1e-5, 1e-4);
      assertClose("reconstruction", g.floats("recon"), model.forward(x, false).toFloatArray(), 1e-5, 1e-4);
      VqVaeStepMetrics m = trainer.step(x);

      assertArrayEquals(g.ints("codes"), model.quantizer().codes().toIntArray(), "codes");
      assertEquals(Double.parseDouble(g.meta("recon_mse")), m.reconMse(), 1e-5 * m.reconMse(), "reconstruction MSE");
      assertEquals(Double.parseDouble(g.meta("vq_loss")), m.vqLoss(), 1e-5 * m.vqLoss() + 1e-9, "vq loss");
      assertEquals(Double.parseDouble(g.meta("loss")), m.loss(), 1e-5 * Math.abs(m.loss()), "loss");
      int compared = 0;
      for (Parameter p : params) {
        String key = "grad." + p.name();
        if (!p.trainable()) {
          assertTrue(!g.has(key), p.name() + " has a golden gradient but is not trainable");
          continue;
        }
        assertClose(key, g.floats(key), p.grad().toFloatArray(), 2e-5, 1e-3);
        assertClose("after." + p.name(), g.floats("after." + p.name()), p.value().toFloatArray(), 2e-6, 0);
        compared++;
      }
      assertEquals(ema ? params.size() - 1 : params.size(), compared, "gradients compared");
      if (ema) {
        assertClose("EMA codebook", g.floats("after.quantizer.codebook"),
            model.quantizer().codebook().value().toFloatArray(), 1e-5, 1e-5);
        List<Tensor> state = model.quantizer().stateTensors();
        assertClose("ema_count", g.floats("after.ema_count"), state.get(0).toFloatArray(), 1e-6, 1e-6);
        assertClose("ema_sum", g.floats("after.ema_sum"), state.get(1).toFloatArray(), 1e-6, 1e-5);
      }
    }
  }
}
