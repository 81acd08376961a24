package ai.vq4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/vq4j, run as a user would: through a chain of symlinks from another directory, it finds the jar beside
 * its own repository, passes JAVA_OPTS then VQ4J_OPTS to the JVM and the arguments untouched, and without a
 * jar says how to build one. The jar is a stand-in that prints what it was given, so that the test needs no
 * packaged build (surefire runs before package).
 */
class LauncherTest {
  static final String ECHO = "public class Echo { public static void main(String[] a) {"
      + " System.out.println(String.join(\"|\", a));"
      + " for (String k : new String[] {\"t.a\", \"t.b\", \"t.c\"}) System.out.println(k + \"=\" + System.getProperty(k));"
      + " } }";

  @TempDir
  static Path dir;
  static Path repo;

  @BeforeAll
  static void fakeRepository() throws IOException {
    repo = dir.resolve("repo");
    Files.createDirectories(repo.resolve("bin"));
    Files.createDirectories(repo.resolve("target"));
    Files.copy(Path.of("bin/vq4j"), repo.resolve("bin/vq4j"));
    assertTrue(repo.resolve("bin/vq4j").toFile().setExecutable(true));
    Path src = dir.resolve("src/Echo.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, ECHO);
    assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.resolve("classes").toString(),
        src.toString()));
    writeJar(repo.resolve("target/vq4j-0.1.0-all.jar"));
  }

  static void writeJar(Path jar) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Echo");
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.putNextEntry(new JarEntry("Echo.class"));
      out.write(Files.readAllBytes(dir.resolve("classes/Echo.class")));
      out.closeEntry();
    }
  }

  /** Runs a command in a fresh directory with these environment variables; returns exit code and output. */
  static Object[] run(Map<String, String> env, String... command) throws Exception {
    Path cwd = Files.createTempDirectory(dir, "cwd");
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
    pb.environment().remove("JAVA_OPTS");
    pb.environment().remove("VQ4J_OPTS");
    pb.environment().remove("VQ4J_JAR");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Object[] {p.waitFor(), out};
  }

  @Test
  void runsThroughSymlinksFromAnyDirectoryWithBothOptionVariables() throws Exception {
    Path links = Files.createDirectories(dir.resolve("links"));
    Path relative = links.resolve("vq4j");
    Files.createSymbolicLink(relative, Path.of("../repo/bin/vq4j"));
    Path absolute = Files.createDirectories(dir.resolve("elsewhere/bin")).resolve("vq4j");
    Files.createSymbolicLink(absolute, relative.toAbsolutePath());
    Object[] r = run(Map.of("JAVA_OPTS", "-Dt.b=java -Dt.c=3", "VQ4J_OPTS", "-Dt.a=1 -Dt.b=vq4j"),
        absolute.toString(), "train", "--out", "two words");
    assertEquals(0, r[0], (String) r[1]);
    assertEquals(List.of("train|--out|two words", "t.a=1", "t.b=vq4j", "t.c=3"), List.of(((String) r[1]).split("\n")));
  }

  @Test
  void vq4jJarNamesAnotherJar() throws Exception {
    Path other = dir.resolve("other.jar");
    writeJar(other);
    Path lonely = Files.createDirectories(dir.resolve("lonely/bin")).resolve("vq4j");
    Files.copy(Path.of("bin/vq4j"), lonely);
    assertTrue(lonely.toFile().setExecutable(true));
    Object[] r = run(Map.of("VQ4J_JAR", other.toString()), lonely.toString(), "info");
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(((String) r[1]).startsWith("info\n"), (String) r[1]);
  }

  @Test
  void withoutAJarItSaysHowToBuildOne() throws Exception {
    Path lonely = Files.createDirectories(dir.resolve("nojar/bin")).resolve("vq4j");
    Files.copy(Path.of("bin/vq4j"), lonely);
    assertTrue(lonely.toFile().setExecutable(true));
    Object[] r = run(Map.of(), lonely.toString(), "info");
    assertEquals(1, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("no jar") && ((String) r[1]).contains("mvn -B -DskipTests package"),
        (String) r[1]);
  }
}
