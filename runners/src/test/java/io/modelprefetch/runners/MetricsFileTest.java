package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The metrics file: Prometheus' text format, checked by a strict parser ({@link PrometheusText}),
 * with the names, labels and values a run's report gives, written by rename.
 */
class MetricsFileTest {

  @TempDir Path dir;

  /** The models a run with {@code args} resolves (no request is made). */
  Job job(String... args) {
    RunCommand run =
        new RunCommand(
            new Main.Context(
                Map.of(),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream())));
    new CommandLine(run).parseArgs(args);
    return new JobResolver(
            Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1"))
        .resolve(run.flags());
  }

  static JsonNode report(String modelName, String status, long verified, long failed)
      throws IOException {
    String json =
        """
        {"status": "%2$s", "startedAt": "2026-12-01T10:00:00Z", "finishedAt": "2026-12-01T10:00:03Z",
         "totals": {"models": 1, "objects": %5$d, "verified": %3$d, "present": 1, "failed": %4$d,
                    "bytes": 3000, "bytesFetched": 2500, "seconds": 3.0, "throughputBytesPerSecond": 833},
         "models": [{"name": "%1$s", "uri": "s3://bkt/m/", "status": "%2$s", "objects": %5$d, "verified": %3$d,
                     "present": 1, "failed": %4$d, "bytes": 3000}],
         "objects": [
           {"model": "%1$s", "relativePath": "a", "size": 500, "status": "present", "bytesFetched": 0},
           {"model": "%1$s", "relativePath": "b", "size": 2000, "status": "verified", "bytesFetched": 2000},
           {"model": "%1$s", "relativePath": "c", "size": 500, "status": "%6$s", "bytesFetched": 500}]}
        """
            .formatted(
                modelName,
                status,
                verified,
                failed,
                verified + failed + 1,
                failed > 0 ? "failed" : "verified");
    return new ObjectMapper().readTree(json);
  }

  /** Every sample as {@code name{labels} -> value}, sorted. */
  static Map<String, Double> samples(Map<String, PrometheusText.Family> families) {
    Map<String, Double> all = new TreeMap<>();
    for (PrometheusText.Family family : families.values()) {
      for (PrometheusText.Sample s : family.samples()) {
        all.put(s.name() + (s.labels().isEmpty() ? "" : s.labels().toString()), s.value());
      }
    }
    return all;
  }

  @Test
  void finalFileHoldsTheReportsFiguresUnderPrometheusNamesWithHelpAndType() throws IOException {
    Path file = dir.resolve("model-prefetch.prom");
    Job job =
        job("--local-dir", dir.toString(), "--model-uri", "s3://bkt/m/", "--model-name", "llama");
    MetricsFile metrics = new MetricsFile(file, job.models(), Instant.now().minusSeconds(3));

    metrics.writeFinal(true, report("llama", "ok", 2, 0), null);

    Map<String, PrometheusText.Family> families = PrometheusText.parse(Files.readString(file));
    for (PrometheusText.Family family : families.values()) {
      assertTrue(family.name().startsWith("model_prefetch_"), family.name());
      assertTrue(family.help() != null && !family.help().isBlank(), "HELP for " + family.name());
      assertEquals(
          family.name().endsWith("_total") ? "counter" : "gauge", family.type(), family.name());
    }
    Map<String, Double> samples = samples(families);
    assertEquals(2500.0, samples.get("model_prefetch_bytes_fetched_total"));
    assertEquals(2.0, samples.get("model_prefetch_objects_total{status=verified}"));
    assertEquals(1.0, samples.get("model_prefetch_objects_total{status=present}"));
    assertEquals(0.0, samples.get("model_prefetch_objects_total{status=failed}"));
    assertEquals(0.0, samples.get("model_prefetch_running"));
    assertEquals(1.0, samples.get("model_prefetch_run_success"));
    assertEquals(1.0, samples.get("model_prefetch_models"));
    assertEquals(1.0, samples.get("model_prefetch_model_success{model=llama}"));
    assertEquals(3.0, samples.get("model_prefetch_model_files{model=llama}"));
    assertEquals(3000.0, samples.get("model_prefetch_model_bytes{model=llama}"));
    assertEquals(3000.0, samples.get("model_prefetch_model_bytes_done{model=llama}"));
    assertEquals(2500.0, samples.get("model_prefetch_model_bytes_fetched_total{model=llama}"));
    double end = samples.get("model_prefetch_run_end_timestamp_seconds");
    assertEquals(end, samples.get("model_prefetch_last_success_timestamp_seconds"));
    assertEquals(
        end, samples.get("model_prefetch_model_last_success_timestamp_seconds{model=llama}"));
    double duration = samples.get("model_prefetch_run_duration_seconds");
    assertEquals(end - samples.get("model_prefetch_run_start_timestamp_seconds"), duration, 0.002);
    assertTrue(duration >= 3.0, "duration " + duration);
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(file), left.toList(), "no temporary file is left beside it");
    }
  }

  @Test
  void aFailedRunKeepsTheLastSuccessTimesOfTheRunBefore() throws IOException {
    Path file = dir.resolve("m.prom");
    Job job =
        job("--local-dir", dir.toString(), "--model-uri", "s3://bkt/m/", "--model-name", "llama");
    new MetricsFile(file, job.models(), Instant.now())
        .writeFinal(true, report("llama", "ok", 2, 0), null);
    Map<String, Double> first = samples(PrometheusText.parse(Files.readString(file)));

    new MetricsFile(file, job.models(), Instant.now())
        .writeFinal(false, report("llama", "failed", 1, 1), null);

    Map<String, Double> second = samples(PrometheusText.parse(Files.readString(file)));
    assertEquals(0.0, second.get("model_prefetch_run_success"));
    assertEquals(0.0, second.get("model_prefetch_model_success{model=llama}"));
    assertEquals(1.0, second.get("model_prefetch_objects_total{status=failed}"));
    assertEquals(
        first.get("model_prefetch_last_success_timestamp_seconds"),
        second.get("model_prefetch_last_success_timestamp_seconds"));
    assertEquals(
        first.get("model_prefetch_model_last_success_timestamp_seconds{model=llama}"),
        second.get("model_prefetch_model_last_success_timestamp_seconds{model=llama}"));
    assertEquals(
        2500.0,
        second.get("model_prefetch_model_bytes_done{model=llama}"),
        "the failed file's bytes are not done");
  }

  @Test
  void aModelNameIsEscapedInItsLabelAsTheFormatRequires() throws IOException {
    Path file = dir.resolve("m.prom");
    String name = "we\"ird\\name";
    Job job =
        job("--local-dir", dir.toString(), "--model-uri", "s3://bkt/m/", "--model-name", name);
    new MetricsFile(file, job.models(), Instant.now())
        .writeFinal(
            true, report(name.replace("\\", "\\\\").replace("\"", "\\\""), "ok", 2, 0), null);
    String text = Files.readString(file);

    assertTrue(text.contains("model_prefetch_model_success{model=\"we\\\"ird\\\\name\"} 1"), text);
    assertEquals(
        1.0,
        samples(PrometheusText.parse(text))
            .get("model_prefetch_model_success{model=" + name + "}"));
    // and read back as the last success of that model by the next run
    assertTrue(MetricsFile.previous(file).containsKey(name), MetricsFile.previous(file).toString());
  }

  @Test
  void eachWriteReplacesTheFileByRenameNotInPlace() throws IOException {
    Path file = dir.resolve("m.prom");
    Job job =
        job("--local-dir", dir.toString(), "--model-uri", "s3://bkt/m/", "--model-name", "llama");
    MetricsFile metrics = new MetricsFile(file, job.models(), Instant.now());
    metrics.writeLive(new io.modelprefetch.transforms.engine.Progress());
    Object before = Files.getAttribute(file, "unix:ino");
    Path link = dir.resolve("held-open-by-a-reader");
    Files.createLink(link, file); // what a reader that opened the old file still sees

    metrics.writeFinal(true, report("llama", "ok", 2, 0), null);

    assertNotEquals(
        before, Files.getAttribute(file, "unix:ino"), "a new file renamed over the old one");
    assertEquals(
        1.0,
        samples(PrometheusText.parse(Files.readString(link))).get("model_prefetch_running"),
        "the old file was left whole");
    assertEquals(
        0.0, samples(PrometheusText.parse(Files.readString(file))).get("model_prefetch_running"));
  }

  @Test
  void aLiveFileSaysRunningWithTheProgressFiguresAndNoOutcome() throws IOException {
    Path file = dir.resolve("m.prom");
    Job job =
        job("--local-dir", dir.toString(), "--model-uri", "s3://bkt/m/", "--model-name", "llama");

    new MetricsFile(file, job.models(), Instant.now())
        .writeLive(new io.modelprefetch.transforms.engine.Progress());

    Map<String, Double> samples = samples(PrometheusText.parse(Files.readString(file)));
    assertEquals(1.0, samples.get("model_prefetch_running"));
    assertEquals(0.0, samples.get("model_prefetch_bytes_fetched_total"));
    assertEquals(0.0, samples.get("model_prefetch_model_bytes_done{model=llama}"));
    assertEquals(null, samples.get("model_prefetch_run_success"), "no outcome while running");
    assertEquals(
        null,
        samples.get("model_prefetch_last_success_timestamp_seconds"),
        "no success yet, none before");
  }

  @Test
  void aFileInAFolderThatDoesNotExistIsBadInput() {
    Path missing = dir.resolve("no-such-folder/m.prom");
    UsageException e =
        assertThrows(UsageException.class, () -> MetricsFile.check(missing.toString()));
    assertEquals(
        "--metrics-file '"
            + missing
            + "': its folder "
            + missing.getParent()
            + " does not exist; create it or"
            + " give node_exporter's textfile directory",
        e.getMessage());
  }

  @Test
  void theStrictParserRefusesWhatPrometheusRefuses() {
    for (String bad :
        List.of(
            "m 1", // no final newline
            "m{a=\"x\"} 1 1700000000\n", // a timestamp: the textfile collector refuses it
            "m{a=\"\\x\"} 1\n", // an escape the format does not have
            "m{a=\"x\",a=\"y\"} 1\n", // a label twice
            "# TYPE m gauge\n# TYPE m gauge\nm 1\n", // a second TYPE
            "m 1\nn 1\nm{a=\"b\"} 2\n", // a family not contiguous
            "m one\n", // not a float
            "1m 1\n")) { // not a metric name
      assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(bad), bad);
    }
  }
}
