package io.modelprefetch.runners;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Java 17 processes started by the Flink tests: the command line as its own process (with only the
 * environment given, and the JVM's normal host name resolution, which Flink needs), and the JVMs of
 * a Flink cluster.
 */
final class ChildJvm {

  /** What Flink's own scripts add on Java 17 ({@code env.java.opts.all} of Flink 1.19's config). */
  static final List<String> JAVA_17_OPENS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private ChildJvm() {}

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** This test JVM's class path: the CLI, Beam, Flink and the test helpers. */
  static String testClassPath() {
    return System.getProperty("java.class.path");
  }

  /**
   * The class path of a Flink cluster: this test's class path without the project, Beam, the AWS
   * SDK, S3Proxy and the test frameworks, so that the job jar must bring them as on a real cluster.
   */
  static String clusterClassPath() {
    List<String> kept = new ArrayList<>();
    for (String entry : testClassPath().split(File.pathSeparator)) {
      String e = entry.replace('\\', '/');
      boolean project =
          e.contains("/target/classes")
              || e.contains("/target/test-classes")
              || e.contains("/io/modelprefetch/");
      boolean app =
          e.contains("/org/apache/beam/")
              || e.contains("/software/amazon/")
              || e.contains("/org/gaul/")
              || e.contains("/info/picocli/")
              || e.contains("/org/eclipse/jetty/");
      boolean tests =
          e.contains("/org/junit/")
              || e.contains("/org/opentest4j/")
              || e.contains("/org/testcontainers/")
              || e.contains("surefire")
              || e.contains("failsafe");
      if (!project && !app && !tests) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  /**
   * Starts {@code java jvmArgs -cp classPath mainClass args} with exactly {@code env}, output to
   * {@code log}.
   */
  static Process start(
      String classPath,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Map<String, String> env,
      Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(JAVA_17_OPENS);
    command.addAll(jvmArgs);
    command.addAll(List.of("-Daws.disableEc2Metadata=true", "-cp", classPath, mainClass));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().put("HOME", System.getProperty("java.io.tmpdir"));
    builder.environment().putAll(env);
    return builder.start();
  }

  /** Stops {@code process}: politely, then forcibly, and waits until it has exited. */
  static void stop(Process process) throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  /** Runs the command line in its own JVM with exactly {@code env}; stderr holds the logs. */
  static Cli runCli(Map<String, String> env, Path workDir, String... args)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(workDir, "cli-", ".out");
    Path err = Files.createTempFile(workDir, "cli-", ".err");
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(JAVA_17_OPENS);
    command.addAll(
        List.of("-Daws.disableEc2Metadata=true", "-cp", testClassPath(), Main.class.getName()));
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException(
            "the command line did not finish in 5 minutes: " + String.join(" ", args));
      }
    } finally {
      stop(process);
    }
    return new Cli(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
