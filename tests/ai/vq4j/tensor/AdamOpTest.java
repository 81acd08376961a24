package ai.vq4j.tensor;

import static ai.vq4j.tensor.OpHarness.*;

import ai.vq4j.io.Safetensors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdamOpTest {
  /**
   * Step 3 of torch.optim.Adam (adam, adam_wd) or torch.optim.AdamW (adamw, from make_transformer.py) from its
   * step-2 state: same formula, float32 rounding only.
   */
  static Stream<Arguments> cases() {
    return onEveryBackend("adam", "adam_wd", "adamw");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorch(String name, Backend backend) {
    Safetensors g = golden(name);
    try (Scope s = new Scope(backend.device())) {
      Tensor param = s.f(g, "param_in");
      Tensor m = s.f(g, "m_in");
      Tensor v = s.f(g, "v_in");
      Ops.adamStep(param, s.f(g, "grad"), m, v, metaD(g, "lr"), metaD(g, "beta1"), metaD(g, "beta2"),
          metaD(g, "eps"), metaD(g, "weight_decay"), meta(g, "t"), name.equals("adamw"));
      assertClose(name + " param", g.floats("param_out"), param.toFloatArray(), 1e-6, 1e-5);
      assertClose(name + " m", g.floats("m_out"), m.toFloatArray(), 1e-7, 1e-5);
      assertClose(name + " v", g.floats("v_out"), v.toFloatArray(), 1e-9, 1e-5);
    }
  }
}
