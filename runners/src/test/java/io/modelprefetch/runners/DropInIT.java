package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an AIBrix user and a fleet operator meet in a real run, against S3Proxy behind a
 * GET-counting proxy: AIBrix's settings, the metrics file while the run goes on and at its end, and
 * {@code prefetch status} of what the run wrote.
 */
class DropInIT {

  static final long MIB = DemoModel.MIB;
  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("generation_config.json", 0),
          DemoModel.File.single("model.safetensors", 3 * MIB + 5),
          DemoModel.File.single("nested/params.bin", 4097));

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static FaultProxy proxy;
  static long total;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 11L);
    DemoModel.upload(server.admin(), "models", "dropin/", MODEL);
    total = MODEL.stream().mapToLong(f -> DemoModel.content(f).length).sum();
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void resetProxy() {
    proxy.resetCounters();
    proxy.beforeObjectGet(path -> {});
  }

  Cli run(Map<String, String> extraEnv, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://models/dropin/",
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "2MiB"));
    args.addAll(List.of(extra));
    Map<String, String> env = new HashMap<>(server.environment(proxy.endpoint()));
    env.putAll(extraEnv);
    return Cli.run(env, args.toArray(String[]::new));
  }

  @Test
  void checkFileExistZeroFetchesEveryFileAgainAsAibrixDoes() {
    assertEquals(0, run(Map.of()).status());
    proxy.resetCounters();
    Cli trusted = run(Map.of());
    assertEquals(0, trusted.status(), trusted.toString());
    assertEquals(0, proxy.objectGets(), "files in place are trusted by default");

    Cli again = run(Map.of("DOWNLOADER_CHECK_FILE_EXIST", "0"), "--force-download=false");

    assertEquals(0, again.status(), again.toString());
    assertEquals(
        MODEL.size() - 1 + 4, proxy.objectGets(), "every file again (the 3 MiB one in 4 ranges)");
    assertTrue(
        again.err().contains(": " + MODEL.size() + " verified, 0 already present, 0 failed;"),
        again.err());
  }

  @Test
  void allowFileSuffixIsAPlainEndsWithOnTheKey() {
    Cli cli = run(Map.of("DOWNLOADER_ALLOW_FILE_SUFFIX", "config.json"));

    assertEquals(0, cli.status(), cli.toString());
    assertTrue(Files.isRegularFile(dest.resolve("m/config.json")));
    assertTrue(
        Files.isRegularFile(dest.resolve("m/generation_config.json")),
        "AIBrix's endswith keeps it too");
    assertTrue(!Files.exists(dest.resolve("m/model.safetensors")));
    assertEquals(2, proxy.objectGets());
  }

  @Test
  void anAibrixJobsExtraConfigRunsAsIs() {
    Cli cli =
        run(
            Map.of(),
            "--download-extra-config",
            "{\"num_threads\": 8, \"max_io_queue\": 100,"
                + " \"io_chunksize\": 16777216, \"hf_token\": null, \"force_download\": false}");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(dest.resolve("m") + "\n", cli.out());
  }

  @Test
  void metricsFileShowsTheRunWhileItGoesOnAndItsOutcomeAtTheEnd() throws Exception {
    Path metrics = dest.resolve("model-prefetch.prom");
    CountDownLatch gate = new CountDownLatch(1);
    proxy.beforeObjectGet(
        path -> {
          try {
            gate.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    Map<String, String> env = server.environment(proxy.endpoint());
    Cli.Running running =
        Cli.start(
            env,
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/dropin/",
            "--model-name",
            "m",
            "--part-size",
            "1MiB",
            "--part-threshold",
            "2MiB",
            "--progress-interval",
            "100ms",
            "--metrics-file",
            metrics.toString());
    Map<String, Double> live = Map.of();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(metrics)) {
        live = MetricsFileTest.samples(PrometheusText.parse(Files.readString(metrics)));
        if (live.getOrDefault("model_prefetch_model_files{model=m}", 0.0) == MODEL.size()) {
          break; // listed, nothing fetched yet: the gate holds every GET
        }
      }
      Thread.sleep(20); // polling a condition, bounded by the deadline
    }
    gate.countDown();
    Cli cli = running.join();

    assertEquals(1.0, live.get("model_prefetch_running"), live.toString());
    assertEquals((double) total, live.get("model_prefetch_model_bytes{model=m}"));
    assertEquals(0.0, live.get("model_prefetch_bytes_fetched_total"));
    assertEquals(null, live.get("model_prefetch_run_success"));
    assertEquals(0, cli.status(), cli.toString());
    Map<String, PrometheusText.Family> families = PrometheusText.parse(Files.readString(metrics));
    Map<String, Double> end = MetricsFileTest.samples(families);
    assertEquals(0.0, end.get("model_prefetch_running"));
    assertEquals(1.0, end.get("model_prefetch_run_success"));
    assertEquals((double) total, end.get("model_prefetch_bytes_fetched_total"));
    assertEquals((double) MODEL.size(), end.get("model_prefetch_objects_total{status=verified}"));
    assertEquals(1.0, end.get("model_prefetch_model_success{model=m}"));
    assertEquals((double) total, end.get("model_prefetch_model_bytes_done{model=m}"));
    assertEquals(
        (double) MODEL.size() - 1 + 4,
        end.get("model_prefetch_ranges_fetched_total"),
        "from the job's metrics");
    assertEquals(0.0, end.get("model_prefetch_range_retries_total{cause=throttled}"));
    assertEquals("counter", families.get("model_prefetch_bytes_fetched_total").type());
    assertEquals(
        end.get("model_prefetch_run_end_timestamp_seconds"),
        end.get("model_prefetch_last_success_timestamp_seconds"));
  }

  @Test
  void statusListsWhatTheRunWroteAsComplete() throws Exception {
    assertEquals(0, run(Map.of()).status());
    JsonNode marker =
        new ObjectMapper().readTree(dest.resolve("m/.prefetch/complete.json").toFile());

    Cli status = Cli.run(Map.of(), "status", "--local-dir", dest.toString());

    assertEquals(0, status.status(), status.toString());
    assertEquals(
        "m: complete, 4 files, "
            + total
            + " bytes (3.0 MiB), completed "
            + Instant.parse(marker.path("completedAt").asText())
            + "; "
            + dest.resolve("m")
            + "\n",
        status.out());
  }
}
