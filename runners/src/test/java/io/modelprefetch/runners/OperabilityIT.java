package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --dry-run, --report -, and the space checks, against S3Proxy behind a GET-counting proxy. */
class OperabilityIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("model.safetensors", 3 * MIB + 5),
          DemoModel.File.single("nested/params.bin", 4097));

  @TempDir static Path serverDir;
  static EmbeddedS3 server;

  /** The model's sha256 per relative path, as uploaded under op/ and op-added/. */
  static Map<String, String> digests;

  static FaultProxy proxy;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 7L);
    digests = DemoModel.upload(server.admin(), BUCKET, "op/", MODEL);
    DemoModel.upload(server.admin(), BUCKET, "op-added/", MODEL);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void resetProxy() {
    proxy.resetCounters();
  }

  static Map<String, String> env() {
    return server.environment(proxy.endpoint());
  }

  Cli run(String uri, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                uri,
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "2MiB"));
    args.addAll(List.of(extra));
    return Cli.run(env(), args.toArray(String[]::new));
  }

  static long size(String relativePath) {
    return MODEL.stream()
        .filter(f -> f.relativePath().equals(relativePath))
        .mapToLong(f -> DemoModel.content(f).length)
        .sum();
  }

  @Test
  void dryRunPrintsThePlanWithPresentFilesAndIssuesNoGetAndWritesNothing() throws IOException {
    Cli first = run("s3://models/op/", "--include", "config.json");
    assertEquals(0, first.status(), first.toString());
    List<String> before = tree(dest);
    proxy.resetCounters();

    Cli cli = run("s3://models/op/", "--dry-run");

    assertEquals(0, cli.status(), cli.toString());
    long config = size("config.json");
    long total = config + 3 * MIB + 5 + 4097;
    long toFetch = 3 * MIB + 5 + 4097;
    assertEquals(
        "m s3://models/op/ -> "
            + dest.resolve("m")
            + "\n"
            + String.format(Locale.ROOT, "  present %12d  config.json%n", config)
            + "  fetch        3145733  model.safetensors\n"
            + "  fetch           4097  nested/params.bin\n"
            + "dry run: 1 model(s), 3 object(s), "
            + total
            + " bytes ("
            + PrefetchRun.bytes(total)
            + "), "
            + toFetch
            + " bytes to fetch (3.0 MiB); nothing was fetched or written\n",
        cli.out());
    assertEquals(0, proxy.objectGets(), "a dry run issues no object GET");
    assertEquals(
        before, tree(dest), "a dry run writes nothing: no lock, no temporary file, no marker");
  }

  @Test
  void dryRunOfAnEmptyListingExitsOneNamingTheUri() throws IOException {
    Cli cli = run("s3://models/nothing-here/", "--dry-run");

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(
        "m s3://models/nothing-here/ -> "
            + dest.resolve("m")
            + "\n"
            + "dry run: 1 model(s), 0 object(s), 0 bytes (0 B), 0 bytes to fetch (0 B); nothing was fetched or written\n",
        cli.out());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/nothing-here/: listing of s3://models/nothing-here/ found no object;"
                    + " check the bucket, the prefix and the endpoint\n"),
        cli.err());
    assertEquals(List.of(), tree(dest));
  }

  @Test
  void reportDashPrintsAReportOnStdoutThatMatchesTheSchema() throws IOException {
    Cli cli = run("s3://models/op/", "--report", "-");

    assertEquals(0, cli.status(), cli.toString());
    JsonNode report = new ObjectMapper().readTree(cli.out());
    assertEquals("ok", report.path("status").asText());
    assertEquals(3, report.path("totals").path("verified").asInt());
    assertEquals(
        size("config.json") + 3 * MIB + 5 + 4097, report.path("totals").path("bytes").asLong());
    assertTrue(
        cli.out().startsWith("{")
            && cli.out().lines().noneMatch(l -> l.equals(dest.resolve("m").toString())),
        "stdout holds the report, not the model path");
    assertEquals(Set.of(), validate(report));

    Cli again = run("s3://models/op/", "--report", "-");
    JsonNode rerun = new ObjectMapper().readTree(again.out());
    assertEquals(3, rerun.path("totals").path("present").asInt(), again.toString());
    assertEquals(Set.of(), validate(rerun), "a report of present files matches the schema too");
  }

  @Test
  void schemaRejectsAReportWithAnUnknownOrMissingField() throws IOException {
    Cli cli = run("s3://models/op/", "--report", "-", "--include", "config.json");
    assertEquals(0, cli.status(), cli.toString());
    ObjectMapper json = new ObjectMapper();
    var report = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(cli.out());
    ((com.fasterxml.jackson.databind.node.ObjectNode) report.path("objects").get(0))
        .put("colour", "red");
    ((com.fasterxml.jackson.databind.node.ObjectNode) report.path("totals")).remove("bytesFetched");
    ((com.fasterxml.jackson.databind.node.ObjectNode) report.path("models").get(0))
        .put("status", "fine");

    Set<String> errors = validate(report);

    assertEquals(3, errors.size(), errors.toString());
    assertTrue(errors.stream().anyMatch(e -> e.contains("colour")), errors.toString());
    assertTrue(errors.stream().anyMatch(e -> e.contains("bytesFetched")), errors.toString());
    assertTrue(errors.stream().anyMatch(e -> e.contains("$.models[0].status")), errors.toString());
  }

  @Test
  void maxBytesRefusesBeforeAnythingIsWritten() throws IOException {
    Cli cli = run("s3://models/op/", "--max-bytes", "1MiB");

    assertEquals(2, cli.status(), cli.toString());
    long toFetch = size("config.json") + 3 * MIB + 5 + 4097;
    assertEquals(
        "model-prefetch: the models need "
            + PrefetchRun.bytes(toFetch)
            + " ("
            + toFetch
            + " bytes) still to fetch, more than --max-bytes 1.0 MiB (1048576 bytes); raise --max-bytes, narrow the files"
            + " with --include/--exclude, or fetch fewer models\n",
        cli.err());
    assertEquals("", cli.out());
    assertEquals(0, proxy.objectGets());
    assertEquals(List.of(), tree(dest), "nothing written");
  }

  @Test
  void tooLittleFreeSpaceRefusesBeforeAnythingIsWritten() throws IOException {
    Cli cli = run("s3://models/op/", "--include", "*.bin", "--assume-free-bytes", "4096");

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: the models need 4.0 KiB (4097 bytes) still to fetch into "
            + dest
            + ", but its file system has only 4.0 KiB (4096 bytes) usable; free some space or choose another --local-dir\n",
        cli.err());
    assertEquals(0, proxy.objectGets());
    assertEquals(List.of(), tree(dest), "nothing written");

    Cli enough = run("s3://models/op/", "--include", "*.bin", "--assume-free-bytes", "4097");
    assertEquals(0, enough.status(), enough.toString());
    assertEquals(1, proxy.objectGets());
  }

  /**
   * {@code --every}: the run again in the same JVM (here after 1 ms, twice, by the hidden
   * --every-runs); the second finds every file verified in place and fetches nothing.
   */
  @Test
  void everyRunsAgainInThisProcessAndTheSecondRunFindsTheModelInPlace() throws IOException {
    assertEquals(0, run("s3://" + BUCKET + "/op/").status());
    long onceGets = proxy.objectGets();
    DiskFullIT.deleteTree(dest);
    Files.createDirectories(dest);
    proxy.resetCounters();

    Cli cli = run("s3://" + BUCKET + "/op/", "--every", "1ms", "--every-runs", "2");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("m")));
    List<String> runs =
        cli.err().lines().filter(l -> l.startsWith("model-prefetch: run ")).toList();
    assertEquals(2, runs.size(), cli.toString());
    assertTrue(
        runs.get(0)
            .matches(
                "model-prefetch: run 1 ended with status 0 after \\d+\\.\\d s; the next starts at"
                    + " \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\(--every 1ms\\)"),
        runs.get(0));
    assertTrue(
        runs.get(1).matches("model-prefetch: run 2 ended with status 0 after \\d+\\.\\d s"),
        runs.get(1));
    assertEquals(onceGets, proxy.objectGets(), "the first run's GETs only: " + cli);
  }

  /**
   * {@code --every} reads the manifest again at each run: a model added between two runs (here once
   * the first run's line is out, with 10 s to spare) is fetched by the next one.
   */
  @Test
  void everyPicksUpAModelAddedToTheManifestAtItsNextRun() throws Exception {
    Path manifest = dest.resolve("models.yaml");
    String first = "models:\n  - {uri: 's3://" + BUCKET + "/op/', name: a}\n";
    Files.writeString(manifest, first);
    Cli.Running running =
        Cli.start(
            env(),
            "run",
            "--manifest",
            manifest.toString(),
            "--local-dir",
            dest.resolve("models").toString(),
            "--every",
            "10s",
            "--every-runs",
            "2");
    ReliabilityIT.waitFor(
        () -> running.errSoFar().contains("model-prefetch: run 1 ended with status 0"));
    Files.writeString(manifest, first + "  - {uri: 's3://" + BUCKET + "/op-added/', name: b}\n");

    Cli cli = running.join();

    assertEquals(0, cli.status(), cli.toString());
    assertTrue(cli.err().contains("model-prefetch: run 2 ended with status 0"), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("models/a")));
    assertEquals(digests, PrefetchIT.digests(dest.resolve("models/b")));
  }

  @Test
  void progressLinesComeEveryIntervalAndTheFinalFiguresAddUpToTheModel() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    // Hold every object GET until two progress lines have shown the listed but unfetched model.
    proxy.beforeObjectGet(
        path -> {
          try {
            gate.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    long total = size("config.json") + 3 * MIB + 5 + 4097;
    // The GETs held at the gate are in flight or about to be: how many shows depends on the moment.
    Pattern waiting =
        Pattern.compile(
            Pattern.quote(
                    "model-prefetch: progress: m 0% [..........] 0/3 files, "
                        + ProgressReporter.pair(0, total)
                        + ", 0 B/s, streams ")
                + "\\d+, ETA unknown\n");
    try {
      Cli.Running running =
          Cli.start(
              env(),
              "--local-dir",
              dest.toString(),
              "--model-uri",
              "s3://models/op/",
              "--model-name",
              "m",
              "--part-size",
              "1MiB",
              "--part-threshold",
              "2MiB",
              "--progress-interval",
              "200ms");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (waiting.matcher(running.errSoFar()).results().count() < 2
          && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling a condition, bounded by the deadline
      }
      assertTrue(waiting.matcher(running.errSoFar()).results().count() >= 2, running.errSoFar());
      gate.countDown();
      Cli cli = running.join();

      assertEquals(0, cli.status(), cli.toString());
      Matcher done =
          Pattern.compile(
                  "model-prefetch: progress: done: m (\\d+)/(\\d+) files, (\\d+)/(\\d+) bytes;"
                      + " (.+) fetched in [0-9.]+ s\n")
              .matcher(cli.err());
      assertTrue(done.find(), cli.err());
      assertEquals(
          List.of("3", "3", String.valueOf(total), String.valueOf(total), PrefetchRun.bytes(total)),
          List.of(done.group(1), done.group(2), done.group(3), done.group(4), done.group(5)));
      Matcher first = waiting.matcher(cli.err());
      assertTrue(first.find() && first.start() < done.start(), "the final figures come last");
    } finally {
      gate.countDown();
      proxy.beforeObjectGet(path -> {});
    }
  }

  @Test
  void progressBarOnATerminalRedrawsOneLine() throws Exception {
    Path script = Path.of("/usr/bin/script");
    Assumptions.assumeTrue(
        Files.isExecutable(script), "util-linux 'script' is needed to give the CLI a terminal");
    CountDownLatch gate = new CountDownLatch(1);
    proxy.beforeObjectGet(
        path -> {
          try {
            gate.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    List<String> command =
        new ArrayList<>(List.of(ChildJvm.java(), "-cp", ChildJvm.testClassPath()));
    command.add(Main.class.getName());
    command.addAll(
        List.of(
            "run",
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/op/",
            "--model-name",
            "m",
            "--enable-progress-bar",
            "--progress-interval",
            "100ms"));
    String shell =
        String.join(" ", command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
    ProcessBuilder builder =
        new ProcessBuilder(script.toString(), "-qec", shell, "/dev/null").redirectErrorStream(true);
    builder.environment().putAll(env());
    Process process = builder.start();
    StringBuffer terminal = new StringBuffer();
    Thread reader =
        new Thread(
            () -> {
              try (var in = process.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  terminal.append(
                      new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
              } catch (IOException e) {
                terminal.append("\n[read failed: ").append(e).append(']');
              }
            });
    reader.start();
    try {
      String redrawn = "\rmodel-prefetch: progress: m 0% [..........] 0/3 files, 0.0/";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (occurrences(terminal.toString(), redrawn) < 2
          && process.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling a condition, bounded by the deadline
      }
      gate.countDown();
      assertTrue(process.waitFor(90, TimeUnit.SECONDS), terminal.toString());
      reader.join();
      String out = terminal.toString();
      assertEquals(0, process.exitValue(), out);
      assertTrue(occurrences(out, redrawn) >= 2, "the line is redrawn in place with \\r: " + out);
      assertTrue(
          !out.contains("\nmodel-prefetch: progress: m "),
          "no progress line of its own on a terminal: " + out);
      assertTrue(out.contains("\nmodel-prefetch: progress: done: m 3/3 files, "), out);
    } finally {
      gate.countDown();
      proxy.beforeObjectGet(path -> {});
      process.destroyForcibly();
    }
  }

  static int occurrences(String text, String line) {
    int n = 0;
    for (int i = text.indexOf(line); i >= 0; i = text.indexOf(line, i + 1)) {
      n++;
    }
    return n;
  }

  static Set<String> validate(JsonNode report) throws IOException {
    Path schemaFile =
        Path.of(System.getProperty("user.dir")).resolve("../docs/report-schema.json").normalize();
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(Files.readString(schemaFile));
    Set<String> errors = new java.util.TreeSet<>();
    for (ValidationMessage m : schema.validate(report)) {
      errors.add(m.getMessage());
    }
    return errors;
  }

  /** Every file and folder under {@code root}, hidden ones included, relative and sorted. */
  static List<String> tree(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> !p.equals(root))
          .map(p -> root.relativize(p).toString())
          .sorted()
          .toList();
    }
  }
}
