package ai.vq4j.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The emoji set ({@code --data emoji}): the 64x64 RGBA Noto Emoji PNGs of npm's {@code
 * emoji-datasource-google@16.0.0} (Apache-2.0), which {@code scripts/get-emoji.sh} unpacks into a folder holding
 * {@code categories.json}, {@code emoji.json} and {@code img/google/64/*.png}.
 *
 * <p><b>Images.</b> Every emoji of {@code emoji.json} with a Google image, and each of its skin-tone variations:
 * 3,781 images. Alpha is composited over white ({@link #BACKGROUND}), the page emoji are usually seen on; RGB.
 * At an image size other than 64 they are scaled as {@link ImageFolderReader} scales any folder image.
 *
 * <p><b>Classes.</b> The 9 categories of {@code categories.json} in its order (Smileys &amp; Emotion, People
 * &amp; Body, Animals &amp; Nature, Food &amp; Drink, Travel &amp; Places, Activities, Objects, Symbols, Flags),
 * an emoji's class the category that lists its short name. The tenth, "Component" (5 skin-tone swatches), is
 * left out: they are colour patches, not emoji.
 *
 * <p><b>Split.</b> A tenth of the emoji are held out for test, drawn by {@code java.util.Random(SPLIT_SEED)}
 * (a Fisher-Yates shuffle of the emoji in file order; the first tenth is the test set), the same for every run
 * whatever its seed. An emoji's skin-tone variations go with it, so no near-copy of a test image is trained on.
 */
public final class EmojiDataset {
  /** The grey level transparent pixels are composited over: white. */
  public static final int BACKGROUND = 255;
  /** Seeds the held-out split; fixed, so every run is scored on the same images. */
  public static final long SPLIT_SEED = 14;
  /** One emoji (with its variations) in TEST_EVERY is held out. */
  public static final int TEST_EVERY = 10;
  /** The category of categories.json that is not a class. */
  public static final String LEFT_OUT = "Component";

  private static final String HINT = "bash scripts/get-emoji.sh <folder> fetches the set (npm emoji-datasource-google@16.0.0)";

  private EmojiDataset() {}

  /** The training or test split at size x size (64: the images as they are), RGB. */
  public static ImageFiles files(Path dir, boolean train, int size) throws IOException {
    Path categoriesFile = dir.resolve("categories.json");
    Path emojiFile = dir.resolve("emoji.json");
    Path images = dir.resolve("img/google/64");
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(dir, (Files.exists(dir) ? "not a folder" : "no such folder") + "; " + HINT);
    }
    for (Path p : List.of(categoriesFile, emojiFile)) {
      if (!Files.isRegularFile(p)) {
        throw new DatasetException(p, "no such file: the emoji set's tables; " + HINT);
      }
    }
    if (!Files.isDirectory(images)) {
      throw new DatasetException(images, "no such folder: the emoji set's 64x64 images; " + HINT);
    }
    try {
      return files(dir, categoriesFile, emojiFile, images, train, size);
    } catch (IllegalStateException | UnsupportedOperationException | ClassCastException | NumberFormatException e) {
      // Gson's getAs... on a field of another JSON type.
      throw new DatasetException(dir, "categories.json or emoji.json is not laid out as emoji-datasource's: " + e, e);
    }
  }

  private static ImageFiles files(Path dir, Path categoriesFile, Path emojiFile, Path images, boolean train, int size)
      throws IOException {
    List<String> classes = new ArrayList<>();
    Map<String, Integer> classOf = new HashMap<>();
    JsonObject categories = object(categoriesFile, parse(categoriesFile), "the top level");
    for (Map.Entry<String, JsonElement> category : categories.entrySet()) {
      if (category.getKey().equals(LEFT_OUT)) {
        continue;
      }
      int label = classes.size();
      classes.add(category.getKey());
      for (Map.Entry<String, JsonElement> sub : object(categoriesFile, category.getValue(), category.getKey()).entrySet()) {
        if (!sub.getValue().isJsonArray()) {
          throw new DatasetException(categoriesFile, category.getKey() + "/" + sub.getKey() + " is not a list of names");
        }
        for (JsonElement name : sub.getValue().getAsJsonArray()) {
          classOf.put(name.getAsString(), label);
        }
      }
    }
    JsonElement all = parse(emojiFile);
    if (!all.isJsonArray()) {
      throw new DatasetException(emojiFile, "not a list of emoji");
    }
    // Each emoji with its skin-tone variations: one group, which the split keeps together.
    List<List<Path>> groups = new ArrayList<>();
    List<Integer> groupLabels = new ArrayList<>();
    for (JsonElement e : all.getAsJsonArray()) {
      JsonObject emoji = object(emojiFile, e, "an emoji");
      String shortName = string(emojiFile, emoji, "short_name");
      if (!emoji.has("has_img_google") || !emoji.get("has_img_google").getAsBoolean()) {
        continue;
      }
      Integer label = classOf.get(shortName);
      if (label == null) {
        if (LEFT_OUT.equals(emoji.has("category") ? emoji.get("category").getAsString() : null)) {
          continue;
        }
        throw new DatasetException(categoriesFile, "lists no category for the emoji '" + shortName + "' of " + emojiFile);
      }
      List<Path> group = new ArrayList<>();
      group.add(image(images, string(emojiFile, emoji, "image")));
      if (emoji.has("skin_variations") && emoji.get("skin_variations").isJsonObject()) {
        for (Map.Entry<String, JsonElement> v : emoji.getAsJsonObject("skin_variations").entrySet()) {
          JsonObject variation = object(emojiFile, v.getValue(), shortName + " skin variation " + v.getKey());
          if (!variation.has("has_img_google") || variation.get("has_img_google").getAsBoolean()) {
            group.add(image(images, string(emojiFile, variation, "image")));
          }
        }
      }
      groups.add(group);
      groupLabels.add(label);
    }
    if (groups.size() < TEST_EVERY) {
      throw new DatasetException(emojiFile, "lists " + groups.size() + " emoji with Google images; the split needs at"
          + " least " + TEST_EVERY);
    }
    boolean[] test = heldOut(groups.size());
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      if (test[g] != train) {
        for (Path p : groups.get(g)) {
          files.add(p);
          labels.add(groupLabels.get(g));
        }
      }
    }
    return new ImageFiles(train ? "emoji-train" : "emoji-test", dir, files,
        labels.stream().mapToInt(Integer::intValue).toArray(), classes, new ImageFolderReader(size, size, 3, BACKGROUND));
  }

  /** Which of n emoji (in file order) are held out: the first n / TEST_EVERY of a seeded shuffle. */
  static boolean[] heldOut(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random random = new Random(SPLIT_SEED);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    boolean[] test = new boolean[n];
    for (int k = 0; k < n / TEST_EVERY; k++) {
      test[order[k]] = true;
    }
    return test;
  }

  private static Path image(Path images, String name) throws DatasetException {
    if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new DatasetException(images, "emoji.json names the image '" + name + "', not a plain file name");
    }
    Path p = images.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new DatasetException(p, "no such file, though emoji.json lists it (an incomplete unpacking?); " + HINT);
    }
    return p;
  }

  private static JsonElement parse(Path file) throws IOException {
    try {
      return JsonParser.parseString(Files.readString(file));
    } catch (JsonParseException | IllegalStateException e) {
      throw new DatasetException(file, "not valid JSON: " + e.getMessage(), e);
    }
  }

  private static JsonObject object(Path file, JsonElement e, String what) throws DatasetException {
    if (e == null || !e.isJsonObject()) {
      throw new DatasetException(file, what + " is not a JSON object");
    }
    return e.getAsJsonObject();
  }

  private static String string(Path file, JsonObject o, String field) throws DatasetException {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive()) {
      throw new DatasetException(file, "an emoji has no string field '" + field + "'");
    }
    return e.getAsString();
  }
}
