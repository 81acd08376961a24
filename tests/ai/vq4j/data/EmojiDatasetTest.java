package ai.vq4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emoji reader on a tiny synthetic folder in emoji-datasource's layout (categories.json, emoji.json,
 * img/google/64/*.png of 64x64 RGBA): classes, labels, skin variations, the white background, the fixed split.
 */
class EmojiDatasetTest {
  static final String[] CATEGORIES = {"Smileys & Emotion", "People & Body", "Component", "Animals & Nature",
      "Food & Drink", "Travel & Places", "Activities", "Objects", "Symbols", "Flags"};

  @TempDir
  Path dir;

  /**
   * Writes n emoji per category (Component: one, a swatch), e{c}_{i}.png, whose RGB encodes (category, index) and
   * whose alpha is 0 in the top-left pixel, 128 in the next and 255 elsewhere; the first emoji of People & Body has
   * two skin variations. Returns the folder.
   */
  static Path write(Path root, int n) throws IOException {
    Path images = Files.createDirectories(root.resolve("img/google/64"));
    StringBuilder categories = new StringBuilder("{");
    StringBuilder emoji = new StringBuilder("[");
    for (int c = 0; c < CATEGORIES.length; c++) {
      int count = CATEGORIES[c].equals("Component") ? 1 : n;
      List<String> names = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = "e" + c + "_" + i;
        names.add("\"" + name + "\"");
        png(images.resolve(name + ".png"), c, i);
        String variations = "";
        if (c == 1 && i == 0) {
          png(images.resolve(name + "-v1.png"), c, 100);
          png(images.resolve(name + "-v2.png"), c, 101);
          variations = ",\"skin_variations\":{\"1F3FB\":{\"image\":\"" + name + "-v1.png\",\"has_img_google\":true},"
              + "\"1F3FC\":{\"image\":\"" + name + "-v2.png\",\"has_img_google\":true}}";
        }
        emoji.append(emoji.length() > 1 ? "," : "").append("{\"short_name\":\"").append(name).append("\",\"image\":\"")
            .append(name).append(".png\",\"category\":\"").append(CATEGORIES[c]).append("\",\"has_img_google\":true")
            .append(variations).append("}");
      }
      categories.append(c > 0 ? "," : "").append("\"").append(CATEGORIES[c]).append("\":{\"sub\":")
          .append(names).append("}");
    }
    Files.writeString(root.resolve("categories.json"), categories.append("}"));
    Files.writeString(root.resolve("emoji.json"), emoji.append("]"));
    return root;
  }

  private static void png(Path file, int c, int i) throws IOException {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        int alpha = x == 0 && y == 0 ? 0 : x == 1 && y == 0 ? 128 : 255;
        img.setRGB(x, y, alpha << 24 | (c * 20) << 16 | i << 8 | 7);
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  @Test
  void nineClassesLabelsVariationsAndTheWhiteBackground() throws IOException {
    write(dir, 10);
    Dataset train = EmojiDataset.files(dir, true, 64).load();
    Dataset test = EmojiDataset.files(dir, false, 64).load();
    assertEquals(List.of("Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
        "Activities", "Objects", "Symbols", "Flags"), train.classNames());
    // 9 classes x 10 emoji + 2 variations; the Component swatch is left out; a tenth of the 90 emoji held out.
    assertEquals(92, train.size() + test.size());
    // People & Body's first emoji is the 11th (index 10): its two variations follow it into its split.
    assertEquals(9 + (EmojiDataset.heldOut(90)[10] ? 2 : 0), test.size());
    assertEquals(64, train.height());
    assertEquals(3, train.channels());
    Set<String> seen = new HashSet<>();
    for (Dataset d : List.of(train, test)) {
      for (int k = 0; k < d.size(); k++) {
        int category = Math.round(d.value(k, 5, 5, 0)) / 20;  // the red channel encodes the category index
        int index = Math.round(d.value(k, 5, 5, 1));
        String label = d.classNames().get(d.label(k));
        assertEquals(CATEGORIES[category], label, "image " + k + " of " + d.name());
        assertTrue(seen.add(category + "/" + index), "each image once");
        assertEquals(255f, d.value(k, 0, 0, 0), "a transparent pixel is the white background");
        assertEquals(255f, d.value(k, 0, 0, 2));
        // Half-transparent blue 7 over white: 7 * 128/255 + 255 * 127/255.
        assertEquals(Math.round(7 * 128 / 255f + 127f), d.value(k, 0, 1, 2), 1f);
        assertEquals(7f, d.value(k, 5, 5, 2), "an opaque pixel keeps its colour");
      }
    }
    // The variations of People & Body's first emoji (indices 100, 101) lie in the same split as it.
    Dataset withBase = contains(train, 1, 0) ? train : test;
    assertTrue(contains(withBase, 1, 100) && contains(withBase, 1, 101), "variations go with their emoji");
  }

  private static boolean contains(Dataset d, int category, int index) {
    for (int k = 0; k < d.size(); k++) {
      if (Math.round(d.value(k, 5, 5, 0)) == category * 20 && Math.round(d.value(k, 5, 5, 1)) == index) {
        return true;
      }
    }
    return false;
  }

  @Test
  void theSplitIsFixedATenthAndIndependentOfAnythingButTheEmojiCount() {
    boolean[] a = EmojiDataset.heldOut(1906);
    boolean[] b = EmojiDataset.heldOut(1906);
    assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
    int held = 0;
    for (boolean t : a) {
      held += t ? 1 : 0;
    }
    assertEquals(190, held);
    assertFalse(a[0] && a[1] && a[2] && a[3], "a shuffle, not the first emoji");
  }

  @Test
  void otherSizesAreScaledAndMissingPiecesAreNamed() throws IOException {
    write(dir, 10);
    Dataset small = EmojiDataset.files(dir, true, 32).load();
    assertEquals(32, small.height());
    assertEquals(7f, small.value(0, 16, 16, 2), 0.5f, "the opaque interior survives the 2x reduction");
    Files.delete(dir.resolve("img/google/64/e4_3.png"));
    DatasetException e = assertThrows(DatasetException.class, () -> EmojiDataset.files(dir, true, 64));
    assertTrue(e.getMessage().contains("e4_3.png") && e.getMessage().contains("get-emoji.sh"), e.getMessage());
    Files.writeString(dir.resolve("emoji.json"), "[{\"short_name\": \"nobody\", \"image\": \"x.png\","
        + " \"has_img_google\": true}]");
    e = assertThrows(DatasetException.class, () -> EmojiDataset.files(dir, true, 64));
    assertTrue(e.getMessage().contains("categories.json") && e.getMessage().contains("nobody"), e.getMessage());
    e = assertThrows(DatasetException.class, () -> EmojiDataset.files(dir.resolve("nope"), true, 64));
    assertTrue(e.getMessage().contains("no such folder"), e.getMessage());
  }
}
