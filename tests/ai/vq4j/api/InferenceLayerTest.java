package ai.vq4j.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Loading and using a trained model does not depend on the training package: the codec, the checkpoint and
 * evaluation packages and the inference commands name nothing in {@code ai.vq4j.train}.
 */
class InferenceLayerTest {
  static final Path SRC = Path.of("java/ai/vq4j");

  @Test
  void inferenceCodeNamesNothingOfTraining() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String pkg : new String[] {"api", "checkpoint", "eval"}) {
      try (Stream<Path> s = Files.list(SRC.resolve(pkg))) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
      }
    }
    for (String cmd : new String[] {"EvalCommand", "ReconstructCommand", "EncodeCommand", "DecodeCommand",
        "SampleCommand"}) {
      files.add(SRC.resolve("cli/" + cmd + ".java"));
    }
    assertTrue(files.size() > 10, "found the sources: " + files);
    List<String> offenders = new ArrayList<>();
    for (Path f : files) {
      if (Files.readString(f).contains("ai.vq4j.train")) {
        offenders.add(f.toString());
      }
    }
    assertTrue(offenders.isEmpty(), "inference code depends on ai.vq4j.train: " + offenders);
  }
}
