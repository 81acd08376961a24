package ai.vq4j.data;

import java.io.IOException;
import java.nio.file.Path;

/** Lets tests of other packages write the synthetic emoji folder of {@link EmojiDatasetTest}. */
public final class EmojiDatasetTestAccess {
  private EmojiDatasetTestAccess() {}

  public static Path write(Path root, int perCategory) throws IOException {
    return EmojiDatasetTest.write(root, perCategory);
  }
}
