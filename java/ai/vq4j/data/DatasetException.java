package ai.vq4j.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file that is missing or malformed. It is an {@link IOException} because callers already handle
 * those when they read files, and the message always starts with the file (or folder) so that a user
 * with several data sets on disk knows which one to fix, then says what is wrong with it.
 */
public class DatasetException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public DatasetException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public DatasetException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file or folder at fault. */
  public Path file() {
    return file;
  }
}
