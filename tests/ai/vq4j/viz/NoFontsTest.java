package ai.vq4j.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Charts on a machine without fonts. Hiding the fonts needs a private mount namespace, so a child JVM runs under
 * {@code unshare -rm} with an empty tmpfs over {@code /usr/share/fonts} and a fontconfig configuration that lists
 * no folders; there the JDK's font manager throws {@code java.lang.Error: Probable fatal error: No physical fonts
 * found.} on the first string drawn. The test is skipped where unprivileged user namespaces are off, or when fonts
 * turn out to be visible anyway (then it would prove nothing).
 */
class NoFontsTest {
  @TempDir Path dir;

  @Test
  void chartsAndGridsAreWrittenWithoutFonts() throws IOException, InterruptedException {
    Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "Linux only");
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/usr/share/fonts")), "no /usr/share/fonts to hide");
    Assumptions.assumeTrue(new File("/usr/bin/unshare").canExecute(), "no /usr/bin/unshare");
    Path conf = dir.resolve("fonts.conf");
    Files.writeString(conf, "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
        + "<fontconfig><cachedir>" + dir.resolve("fc-cache") + "</cachedir></fontconfig>\n");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/unshare", "-rm", "sh", "-c",
        "mount -t tmpfs none /usr/share/fonts && exec \"$0\" \"$@\"",
        java.toString(), "-cp", System.getProperty("java.class.path"), NoFontsMain.class.getName(),
        dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("FONTCONFIG_FILE", conf.toString());
    pb.environment().remove("DISPLAY");
    pb.environment().remove("WAYLAND_DISPLAY");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
    String log = new String(out, StandardCharsets.UTF_8);
    Assumptions.assumeFalse(log.contains("unshare:") || log.contains("mount:"),
        () -> "cannot hide fonts here (user namespaces off?): " + log);
    assertEquals(0, p.exitValue(), "child JVM failed:\n" + log);
    Assumptions.assumeTrue(log.contains("text=false"), () -> "fonts were still visible to the child:\n" + log);
    assertTrue(log.contains("headless=true"), log);
    assertTrue(log.contains("No physical fonts") || log.contains("failure="), log);
    BufferedImage chart = Png.read(dir.resolve("chart.png"));
    assertEquals(400, chart.getWidth());
    assertEquals(300, chart.getHeight());
    BufferedImage grid = Png.read(dir.resolve("grid.png"));
    assertEquals(4 + 2 * 2 + ImageGrid.LABEL_STRIP, grid.getHeight());
  }
}
