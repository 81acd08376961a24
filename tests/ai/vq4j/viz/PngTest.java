package ai.vq4j.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngTest {
  @TempDir Path dir;

  private static BufferedImage sample(int rgb) {
    BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 5; x++) {
        img.setRGB(x, y, rgb + x * 16 + y);
      }
    }
    return img;
  }

  private List<String> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void writesReadsAndReplacesLeavingNoTemporaryFile() throws IOException {
    Path file = dir.resolve("sub").resolve("a.png");
    Png.write(sample(0x102030), file);
    BufferedImage back = Png.read(file);
    assertEquals(5, back.getWidth());
    assertEquals(3, back.getHeight());
    assertEquals(0x102030 + 4 * 16 + 2, back.getRGB(4, 2) & 0xFFFFFF);
    Png.write(sample(0x405060), file);
    assertEquals(0x405060, Png.read(file).getRGB(0, 0) & 0xFFFFFF, "second write replaced the first");
    try (Stream<Path> s = Files.list(file.getParent())) {
      assertEquals(List.of("a.png"), s.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
    }
  }

  @Test
  void failureNamesThePathAndLeavesNothingBehind() throws IOException {
    Path notADir = dir.resolve("plain");
    Files.writeString(notADir, "x");
    Path file = notADir.resolve("a.png");
    IOException e = assertThrows(IOException.class, () -> Png.write(sample(0), file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertEquals(List.of("plain"), files());
  }

  @Test
  void refusesToReplaceADirectory() throws IOException {
    Path target = Files.createDirectory(dir.resolve("out.png"));
    IOException e = assertThrows(IOException.class, () -> Png.write(sample(0), target));
    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    assertTrue(Files.isDirectory(target));
  }

  @Test
  void readingSomethingElseNamesTheFile() throws IOException {
    Path bad = dir.resolve("bad.png");
    Files.writeString(bad, "not a picture");
    IOException e = assertThrows(IOException.class, () -> Png.read(bad));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    Path missing = dir.resolve("missing.png");
    IOException m = assertThrows(IOException.class, () -> Png.read(missing));
    assertTrue(m.getMessage().contains(missing.toString()), m.getMessage());
  }
}
