package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line on embedded Flink ({@code --flink-master [local]}) against S3Proxy. The CLI runs
 * as its own process: Flink's mini cluster resolves this machine's host name, which the test JVM's
 * hosts file (for the TOS tests) does not know.
 */
class FlinkEmbeddedIT {

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static Map<String, String> sourceDigests;

  @TempDir Path dest;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    sourceDigests = DemoModel.upload(server.admin(), PrefetchIT.BUCKET, "llama/", PrefetchIT.MODEL);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  Cli runOnEmbeddedFlink(String... args) throws IOException, InterruptedException {
    Map<String, String> env =
        Map.of(
            "AWS_ENDPOINT_URL", server.endpoint().toString(),
            "AWS_REGION", EmbeddedS3.REGION,
            "AWS_ACCESS_KEY_ID", server.accessKey(),
            "AWS_SECRET_ACCESS_KEY", server.secretKey());
    List<String> all =
        new java.util.ArrayList<>(
            List.of(
                "--runner",
                "flink",
                "--flink-master",
                "[local]",
                "--parallelism",
                "2",
                "--local-dir",
                dest.toString(),
                "--part-size",
                "1MiB",
                "--part-threshold",
                "2MiB"));
    all.addAll(List.of(args));
    return ChildJvm.runCli(env, serverDir, all.toArray(String[]::new));
  }

  @Test
  void embeddedFlinkWithTwoWorkersLandsTheModelByteIdenticalWithExactTotals() throws Exception {
    Path report = dest.resolve("report.json");

    Cli cli =
        runOnEmbeddedFlink("--model-uri", "s3://models/llama/", "--report", report.toString());

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("llama");
    assertEquals(model + "\n", cli.out());
    assertEquals(sourceDigests, PrefetchIT.digests(model));
    assertEquals(List.of(), PrefetchIT.leftovers(model), "no temporary file remains");
    JsonNode r = PrefetchIT.json(report);
    long total = PrefetchIT.MODEL.stream().mapToLong(f -> DemoModel.content(f).length).sum();
    assertEquals("ok", r.path("status").asText());
    JsonNode totals = r.path("totals");
    assertEquals(
        List.of(1L, 7L, 7L, 0L, 0L, total, total),
        List.of(
            totals.path("models").asLong(),
            totals.path("objects").asLong(),
            totals.path("verified").asLong(),
            totals.path("present").asLong(),
            totals.path("failed").asLong(),
            totals.path("bytes").asLong(),
            totals.path("bytesFetched").asLong()));
    assertTrue(
        cli.err().contains("1 model(s), 7 object(s): 7 verified, 0 already present, 0 failed"),
        cli.err());
    assertFalse(cli.toString().contains(server.secretKey()), "the secret stays out of the logs");
    assertFalse(Files.readString(report).contains(server.secretKey()), "and out of the report");
  }

  @Test
  void emptyListingExitsOneOnEmbeddedFlink() throws Exception {
    Cli cli = runOnEmbeddedFlink("--model-uri", "s3://models/no-such-model/");

    assertEquals(1, cli.status(), cli.toString());
    assertEquals("", cli.out());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/no-such-model/: listing of s3://models/no-such-model/ found no object;"
                    + " check the bucket, the prefix and the endpoint"),
        cli.err());
    assertFalse(Files.exists(dest.resolve("no-such-model")));
  }
}
