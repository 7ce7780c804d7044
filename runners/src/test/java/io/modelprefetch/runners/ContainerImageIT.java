package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image definition ({@code Dockerfile}): read as instructions here, always; built and
 * run where a Docker daemon answers ({@code docker info}), and skipped, saying so, where none does.
 * An IT because the image copies the packaged jars, which exist once {@code package} has run.
 */
class ContainerImageIT {

  static final Path DOCKERFILE = ConfigExamplesTest.REPO.resolve("Dockerfile");

  /**
   * What {@code -Xlog:class+load} prints when the CLI's main class comes from a dynamic archive.
   */
  static final String MAIN_FROM_ARCHIVE =
      " io.modelprefetch.runners.Main source: shared objects file (top)";

  /**
   * The Dockerfile's instructions, continuation lines joined, comments dropped: {keyword, rest}.
   */
  static List<String[]> instructions() throws IOException {
    List<String[]> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      if (line.strip().startsWith("#") || line.isBlank()) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      String text = current.toString().strip();
      current.setLength(0);
      int space = text.indexOf(' ');
      out.add(
          new String[] {
            text.substring(0, space).toUpperCase(java.util.Locale.ROOT),
            text.substring(space + 1).strip()
          });
    }
    return out;
  }

  static List<String> all(String keyword) throws IOException {
    return instructions().stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
  }

  /** The ENTRYPOINT, an exec-form JSON array. */
  static List<String> entrypoint() throws IOException {
    List<String> entrypoints = all("ENTRYPOINT");
    assertEquals(1, entrypoints.size(), "one ENTRYPOINT");
    return Arrays.asList(new ObjectMapper().readValue(entrypoints.get(0), String[].class));
  }

  /** The image paths the COPY instructions write. */
  static List<String> copiedTo() throws IOException {
    return all("COPY").stream().map(c -> c.substring(c.lastIndexOf(' ') + 1)).toList();
  }

  /** The numeric user the image runs as. */
  static long user() throws IOException {
    List<String> users = all("USER");
    assertEquals(1, users.size(), "one USER");
    return Long.parseLong(users.get(0).split(":")[0]);
  }

  @Test
  void imageStartsTheCliWithTheSharedJvmOptionsAsANonRootUserInAUtf8Locale() throws IOException {
    assertEquals(ConfigExamplesTest.COMMAND, entrypoint());
    assertTrue(
        all("COPY").contains("configs/jvm.options /opt/model-prefetch/jvm.options"),
        all("COPY").toString());
    assertTrue(
        copiedTo()
            .containsAll(
                List.of(
                    "/opt/model-prefetch/model-prefetch.jar",
                    "/opt/model-prefetch/model-prefetch-flink-job.jar")),
        copiedTo().toString());
    assertTrue(user() > 0, "not root");
    String env = String.join(" ", all("ENV"));
    assertTrue(env.contains("LANG=C.UTF-8") && env.contains("LC_ALL=C.UTF-8"), env);
    // what the image copies exists after `package`, and the docker context lets it through
    for (String copy : all("COPY")) {
      String source = copy.substring(0, copy.indexOf(' '));
      assertTrue(Files.isRegularFile(ConfigExamplesTest.REPO.resolve(source)), source);
      assertTrue(
          Files.readAllLines(ConfigExamplesTest.REPO.resolve(".dockerignore"))
              .contains("!" + source),
          source + " is let through .dockerignore");
    }
  }

  @Test
  void jvmOptionsFileIsWhatTheLauncherUsesAndTheJvmAcceptsIt() throws Exception {
    Path options = ConfigExamplesTest.REPO.resolve("configs/jvm.options");
    assertTrue(
        Files.readString(ConfigExamplesTest.REPO.resolve("prefetch"))
            .contains("opts=(@\"$here/configs/jvm.options\")"),
        "the launcher passes the file to java");
    String flags = java("@" + options, "-XX:+PrintFlagsFinal", "-version");
    assertTrue(flags.matches("(?s).*\\bMaxHeapSize\\s+= 402653184\\b.*"), "-Xmx384m");
    assertTrue(flags.matches("(?s).*\\bInitialHeapSize\\s+= 134217728\\b.*"), "-Xms128m");
    assertTrue(
        flags.matches("(?s).*\\bMaxDirectMemorySize\\s+= 201326592\\b.*"),
        "-XX:MaxDirectMemorySize=192m");
    assertTrue(flags.matches("(?s).*\\bUseSerialGC\\s+= true\\b.*"), "the serial collector");
    assertTrue(
        flags.matches("(?s).*\\bTier4InvocationThreshold\\s+= 60000\\b.*"), "the JIT settings");
  }

  /**
   * {@code PREFETCH_HEAP} below the options file's initial heap (128 MiB) is the initial heap too:
   * the JVM refuses to start with an initial heap above its limit. Above it, the file's stays.
   */
  @Test
  void launcherHeapBelowTheInitialHeapStartsTheJvm() throws Exception {
    Path jar = ConfigExamplesTest.REPO.resolve("runners/target/model-prefetch.jar");
    for (String[] heap :
        new String[][] {{"96m", "100663296", "100663296"}, {"1g", "1073741824", "134217728"}}) {
      ProcessBuilder launch =
          new ProcessBuilder(ConfigExamplesTest.REPO.resolve("prefetch").toString(), "--version")
              .redirectErrorStream(true);
      launch.environment().put("PREFETCH_JAR", jar.toString());
      launch.environment().put("PREFETCH_HEAP", heap[0]);
      launch.environment().put("PREFETCH_CDS", "0");
      launch.environment().put("PREFETCH_JAVA_OPTS", "-XX:+PrintFlagsFinal");
      launch
          .environment()
          .put("PATH", Path.of(ChildJvm.java()).getParent() + ":" + System.getenv("PATH"));
      Process run = launch.start();
      String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(run.waitFor(60, TimeUnit.SECONDS), "PREFETCH_HEAP=" + heap[0]);
      assertEquals(0, run.exitValue(), "PREFETCH_HEAP=" + heap[0] + ": " + out);
      assertTrue(out.contains("model-prefetch 0.1.0"), out);
      assertTrue(out.matches("(?s).*\\bMaxHeapSize\\s+= " + heap[1] + "\\b.*"), "-Xmx" + heap[0]);
      assertTrue(
          out.matches("(?s).*\\bInitialHeapSize\\s+= " + heap[2] + "\\b.*"),
          "the initial heap with PREFETCH_HEAP=" + heap[0]);
    }
  }

  /**
   * The TLS classes whose compile thresholds the options file lowers exist under those names (a
   * pattern naming no class changes nothing, silently), and the JVM prints nothing on stdout for
   * them: stdout carries the model paths.
   */
  @Test
  void jvmOptionsLowerTheThresholdsOfClassesThatExistAndPrintNothing() throws Exception {
    Path options = ConfigExamplesTest.REPO.resolve("configs/jvm.options");
    String prefix = "-XX:CompileCommand=CompileThresholdScaling,";
    List<String> patterns =
        Files.readAllLines(options).stream()
            .filter(l -> l.startsWith(prefix))
            .map(l -> l.substring(prefix.length(), l.indexOf("::")))
            .toList();
    assertEquals(4, patterns.size(), patterns.toString());
    for (String pattern : patterns) {
      Class.forName(pattern.endsWith("*") ? pattern.substring(0, pattern.length() - 1) : pattern);
    }
    assertEquals("", java("@" + options, "-version"), "stdout");
  }

  /**
   * The image's class-data-sharing step, run here as the Dockerfile writes it, with {@code
   * /opt/model-prefetch} and the training folder in a temporary directory: the {@code demo} run
   * records an archive, and the options file it leaves makes a later run map the CLI's classes from
   * it.
   */
  @Test
  void imageRecordsAClassArchiveThatItsOptionsFileMaps(@TempDir Path tmp) throws Exception {
    List<String> steps =
        all("RUN").stream().filter(r -> r.contains("ArchiveClassesAtExit")).toList();
    assertEquals(1, steps.size(), all("RUN").toString());
    Path opt = Files.createDirectories(tmp.resolve("opt"));
    for (String copy : all("COPY")) {
      String[] words = copy.split(" ");
      Files.copy(
          ConfigExamplesTest.REPO.resolve(words[0]), opt.resolve(Path.of(words[1]).getFileName()));
    }
    String step =
        steps.get(0).replace("/tmp/", tmp + "/").replace("/opt/model-prefetch", opt.toString());
    ProcessBuilder training =
        new ProcessBuilder("sh", "-c", step)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("training.log").toFile());
    training
        .environment()
        .put("PATH", Path.of(ChildJvm.java()).getParent() + ":" + System.getenv("PATH"));
    Process train = training.start();
    assertTrue(train.waitFor(5, TimeUnit.MINUTES), step);
    assertEquals(0, train.exitValue(), Files.readString(tmp.resolve("training.log")));
    assertTrue(Files.size(opt.resolve("model-prefetch.jsa")) > 0, "the archive");
    assertFalse(Files.exists(tmp.resolve("cds-training")), "the training model is removed");
    List<String> options = Files.readAllLines(opt.resolve("jvm.options"));
    assertEquals(
        List.of("-XX:SharedArchiveFile=" + opt.resolve("model-prefetch.jsa"), "-Xshare:auto"),
        options.subList(options.size() - 2, options.size()));

    String out =
        java(
            "@" + opt.resolve("jvm.options"),
            "-Xlog:class+load=info:stdout",
            "-jar",
            opt.resolve("model-prefetch.jar").toString(),
            "--version");
    assertTrue(out.contains("model-prefetch 0.1.0"), out);
    assertTrue(out.contains(MAIN_FROM_ARCHIVE), "the CLI's classes come from the image's archive");
  }

  /** The stdout of {@code java ARGS} in a child JVM, which must exit 0 within a minute. */
  static String java(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ChildJvm.java()));
    command.addAll(List.of(args));
    Path stderr = Files.createTempFile("java", ".stderr");
    try {
      Process java = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      String out = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(java.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
      assertEquals(0, java.exitValue(), Files.readString(stderr));
      return out;
    } finally {
      Files.delete(stderr);
    }
  }

  /** Whether a Docker daemon answers here. */
  static boolean dockerAnswers() {
    try {
      Process info =
          new ProcessBuilder("docker", "info")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return info.waitFor(30, TimeUnit.SECONDS) && info.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String docker(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .directory(ConfigExamplesTest.REPO.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(15, TimeUnit.MINUTES), String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
    return out;
  }

  @Test
  void imageBuildsAndRunsAsItsDefinitionSays() throws Exception {
    Assumptions.assumeTrue(
        dockerAnswers(),
        "no Docker daemon answers 'docker info' here: the image is not built"
            + " (its definition is still checked by the other tests of this class)");
    String tag = "model-prefetch-it:" + ProcessHandle.current().pid();
    docker("build", "-t", tag, ".");
    try {
      assertEquals("model-prefetch 0.1.0", docker("run", "--rm", tag, "--version").strip());
      assertEquals(user() + "", docker("run", "--rm", "--entrypoint", "id", tag, "-u").strip());
      assertEquals(
          "C.UTF-8",
          docker("run", "--rm", "--entrypoint", "sh", tag, "-c", "echo $LC_ALL").strip());
      String help = docker("run", "--rm", tag);
      assertTrue(help.startsWith("Usage: prefetch run"), help);
      String flags = imageJava(tag, "-XX:+PrintFlagsFinal", "-version");
      assertTrue(flags.matches("(?s).*\\bMaxHeapSize\\s+= 402653184\\b.*"), flags);
      String classes =
          imageJava(
              tag,
              "-Xlog:class+load=info:stdout",
              "-jar",
              "/opt/model-prefetch/model-prefetch.jar",
              "--version");
      assertTrue(classes.contains(MAIN_FROM_ARCHIVE), "the image's runs map its class archive");
    } finally {
      docker("rmi", "-f", tag);
    }
  }

  /** {@code java @/opt/model-prefetch/jvm.options ARGS} in a container of the image. */
  static String imageJava(String tag, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "run", "--rm", "--entrypoint", "java", tag, "@/opt/model-prefetch/jvm.options"));
    command.addAll(List.of(args));
    return docker(command.toArray(String[]::new));
  }
}
