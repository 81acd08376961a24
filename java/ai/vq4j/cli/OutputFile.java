package ai.vq4j.cli;

import ai.vq4j.checkpoint.CodeDataset;
import ai.vq4j.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks of an output file before a command spends time computing what it will hold. */
final class OutputFile {
  private OutputFile() {}

  /** An output must be a file name: an existing folder is refused with what is wrong. */
  static void checkNotFolder(String option, Path out) {
    if (Files.isDirectory(out)) {
      throw new IllegalArgumentException(option + " " + out + " is an existing folder: name a file to write");
    }
  }

  /**
   * A code file output may replace only another code file: never an input (the checkpoint, a data file) or any
   * other file that happens to be there.
   */
  static void checkReplacesOnlyCodes(String option, Path out, Path... inputs) throws IOException {
    checkNotFolder(option, out);
    if (!Files.exists(out)) {
      return;
    }
    for (Path in : inputs) {
      if (in != null && Files.exists(in) && Files.isSameFile(out, in)) {
        throw new IllegalArgumentException(option + " " + out + " is an input of this command (" + in
            + "): refusing to overwrite it");
      }
    }
    String format;
    try {
      format = Safetensors.read(out).metadata().get("format");
    } catch (IOException | RuntimeException e) {
      format = null;
    }
    if (!CodeDataset.FORMAT.equals(format)) {
      throw new IllegalArgumentException(option + " " + out + " exists and is not a code file"
          + (format == null ? "" : " (format " + format + ")") + ": refusing to overwrite it");
    }
  }
}
