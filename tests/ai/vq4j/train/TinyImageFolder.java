package ai.vq4j.train;

import ai.vq4j.tensor.Rng;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** A small "folder" data set of seeded random RGB images in train/ and test/, for fast whole-run tests. */
public final class TinyImageFolder {
  private TinyImageFolder() {}

  /** Writes train/ and test/ folders of size x size images under root and returns root. */
  public static Path write(Path root, int train, int test, int size) throws IOException {
    Rng rng = new Rng(42);
    for (String split : new String[] {"train", "test"}) {
      Path dir = Files.createDirectories(root.resolve(split));
      int n = split.equals("train") ? train : test;
      for (int i = 0; i < n; i++) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            img.setRGB(x, y, (int) (rng.nextDouble() * 0xFFFFFF));
          }
        }
        ImageIO.write(img, "png", dir.resolve(String.format("%03d.png", i)).toFile());
      }
    }
    return root;
  }
}
