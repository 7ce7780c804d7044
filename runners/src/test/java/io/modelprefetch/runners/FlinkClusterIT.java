package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line submits to a real standalone Flink 1.19 cluster (a JobManager and two
 * TaskManager JVMs on 127.0.0.1) with the job jar. Only the TaskManagers hold the S3 keys; the
 * launching CLI holds different, distinctive ones that must never reach the cluster. Both
 * TaskManagers write ranges into one folder, as on a shared mount.
 */
class FlinkClusterIT {

  static final long MIB = DemoModel.MIB;

  /** Several large objects: with 1 MiB parts, 43 ranges to spread over the TaskManagers. */
  static final List<DemoModel.File> LARGE_MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("model-00001-of-00004.safetensors", 12 * MIB + 3),
          DemoModel.File.single("model-00002-of-00004.safetensors", 9 * MIB),
          DemoModel.File.single("model-00003-of-00004.safetensors", 8 * MIB + 1),
          DemoModel.File.single("model-00004-of-00004.safetensors", 10 * MIB + 5));

  @TempDir static Path work;
  static EmbeddedS3 server;
  static FlinkCluster cluster;
  static Map<String, String> sourceDigests;

  /**
   * Keys in the launching CLI's environment only: a leak would show them; a use would fail the job.
   */
  static final String CLI_ONLY_SECRET = "CliOnlySecret-" + Long.toHexString(System.nanoTime());

  @BeforeAll
  static void startServerAndCluster() throws Exception {
    Path jobJar = Path.of("target", RunnerChoice.JOB_JAR_NAME);
    assertTrue(
        Files.isRegularFile(jobJar),
        "run in `mvn verify`: the job jar is built in `package`: " + jobJar.toAbsolutePath());
    server = EmbeddedS3.start(work.resolve("s3"));
    sourceDigests = DemoModel.upload(server.admin(), PrefetchIT.BUCKET, "large/", LARGE_MODEL);
    long started = System.nanoTime();
    cluster =
        FlinkCluster.start(
            work.resolve("flink"),
            2,
            1,
            Map.of(
                "AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
    System.out.printf(
        "Flink cluster up with 2 TaskManagers in %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  @AfterAll
  static void stopClusterAndServer() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  static Map<String, String> cliEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ENDPOINT_URL", server.endpoint().toString());
    env.put("AWS_REGION", EmbeddedS3.REGION);
    env.put("AWS_ACCESS_KEY_ID", "AKIA-CLI-ONLY");
    env.put("AWS_SECRET_ACCESS_KEY", CLI_ONLY_SECRET);
    return env;
  }

  static Cli submit(Path shared, String... more) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--runner",
                "flink",
                "--flink-master",
                cluster.master(),
                "--parallelism",
                "2",
                "--local-dir",
                shared.toString(),
                "--part-size",
                "1MiB",
                "--part-threshold",
                "1MiB",
                "--model-uri",
                "s3://models/large/"));
    args.addAll(List.of(more));
    long started = System.nanoTime();
    Cli cli = ChildJvm.runCli(cliEnv(), work, args.toArray(String[]::new));
    System.out.printf(
        "submission and run took %.1f s; the CLI's stderr:%n%s%n",
        (System.nanoTime() - started) / 1e9, cli.err());
    return cli;
  }

  /**
   * One submission (each costs seconds of JVM start and job deployment) checks the fetch, the
   * spread over TaskManagers, the secrets, and the exit status from metrics: without {@code
   * --report} on a cluster the report would be a TaskManager's, so the job's metrics decide.
   */
  @Test
  void bothTaskManagersFetchRangesIntoASharedFolderExitFromMetricsAndNoSecretReachesTheCluster()
      throws Exception {
    Path shared = Files.createDirectories(work.resolve("shared"));
    Path metricsFile = work.resolve("model-prefetch.prom");

    Cli cli = submit(shared, "--metrics-file", metricsFile.toString());

    assertEquals(0, cli.status(), cli + "\n--- cluster\n" + cluster.logs());
    Path model = shared.resolve("large");
    assertEquals(model + "\n", cli.out());
    assertEquals(sourceDigests, PrefetchIT.digests(model));
    assertEquals(List.of(), PrefetchIT.leftovers(model));
    assertTrue(cli.err().contains("Submitting with "), "the job jar was staged: " + cli.err());
    assertTrue(
        cli.err()
            .contains(
                "model-prefetch: 1 model(s), from the job's metrics: 5 verified, 0 already present,"
                    + " 0 failed, 0 model(s) failed"),
        cli.err());

    // The metrics file of a cluster run: the end figures only, from the job's metrics (no report
    // here).
    Map<String, Double> metrics =
        MetricsFileTest.samples(PrometheusText.parse(Files.readString(metricsFile)));
    long bytes = LARGE_MODEL.stream().mapToLong(f -> DemoModel.content(f).length).sum();
    assertEquals(1.0, metrics.get("model_prefetch_run_success"), metrics.toString());
    assertEquals(0.0, metrics.get("model_prefetch_running"));
    assertEquals(5.0, metrics.get("model_prefetch_objects_total{status=verified}"));
    assertEquals((double) bytes, metrics.get("model_prefetch_bytes_fetched_total"));
    assertEquals(1.0, metrics.get("model_prefetch_model_success{model=large}"));
    assertEquals(
        null,
        metrics.get("model_prefetch_model_bytes_done{model=large}"),
        "no live figures from a cluster");

    String jobId = latestJob();
    Map<Integer, String> fetched = subtasksThatFetched(jobId);
    assertEquals(Set.of(0, 1), fetched.keySet(), "both subtasks received ranges");
    assertEquals(2, new HashSet<>(fetched.values()).size(), "on two TaskManagers: " + fetched);

    // What the cluster holds of this job: its configuration (Beam's options), its plan, the logs.
    String seen =
        cluster.get("/jobs/" + jobId + "/config")
            + "\n"
            + cluster.get("/jobs/" + jobId + "/plan")
            + "\n"
            + cluster.get("/jobs/" + jobId)
            + "\n"
            + cluster.logs()
            + "\n"
            + cli;
    assertTrue(seen.contains("Fetch ranges"), "the scan covers the job's plan");
    assertFalse(seen.contains(CLI_ONLY_SECRET), "the CLI's secret reached the cluster or the logs");
    assertFalse(
        seen.contains("AKIA-CLI-ONLY"), "the CLI's access key reached the cluster or the logs");
    assertFalse(seen.contains(server.secretKey()), "the TaskManagers' secret was logged");
  }

  /** The id of the job that finished last. */
  static String latestJob() throws Exception {
    JsonNode newest = null;
    for (JsonNode job : cluster.get("/jobs/overview").path("jobs")) {
      if (newest == null || job.path("end-time").asLong() > newest.path("end-time").asLong()) {
        newest = job;
      }
    }
    assertEquals("FINISHED", newest.path("state").asText(), newest.toString());
    return newest.path("jid").asText();
  }

  /**
   * Subtask index → TaskManager id, for the subtasks of the vertex that fetches ranges that read at
   * least one range from the network.
   */
  static Map<Integer, String> subtasksThatFetched(String jobId) throws Exception {
    Map<Integer, String> fetched = new HashMap<>();
    List<String> names = new java.util.ArrayList<>();
    for (JsonNode vertex : cluster.get("/jobs/" + jobId).path("vertices")) {
      names.add(vertex.path("name").asText());
      if (!vertex.path("name").asText().contains("Fetch ranges")) {
        continue;
      }
      for (JsonNode subtask :
          cluster
              .get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText())
              .path("subtasks")) {
        if (subtask.path("metrics").path("read-records").asLong() > 0) {
          fetched.put(subtask.path("subtask").asInt(), subtask.path("taskmanager-id").asText());
        }
      }
    }
    assertFalse(fetched.isEmpty(), "no vertex named 'Fetch ranges' read records: " + names);
    return fetched;
  }
}
