package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Destinations on a Hadoop file system: a model mirrored from one S3Proxy bucket into another
 * through Hadoop S3A (same endpoint settings as the source), and a {@code file://} folder.
 */
class HadoopDestinationIT {

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static Map<String, String> digests;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    digests = DemoModel.upload(server.admin(), "models", "src/", PrefetchIT.MODEL);
    server.admin().createBucket(b -> b.bucket("mirror"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static Map<String, String> env() {
    return server.environment();
  }

  Cli run(String localDir) {
    return Cli.run(
        env(),
        "--local-dir",
        localDir,
        "--model-uri",
        "s3://models/src/",
        "--model-name",
        "m",
        "--part-size",
        "1MiB",
        "--part-threshold",
        "2MiB",
        "--report",
        dest.resolve("report.json").toString());
  }

  @Test
  void modelMirroredIntoAnotherBucketThroughS3aIsByteIdenticalAndRerunFindsItPresent()
      throws IOException {
    Cli cli = run("s3a://mirror/copies/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals("s3a://mirror/copies/m\n", cli.out());
    Map<String, String> mirrored = new TreeMap<>();
    for (S3Object o :
        server.admin().listObjectsV2(b -> b.bucket("mirror").prefix("copies/m/")).contents()) {
      String rel = o.key().substring("copies/m/".length());
      if (!rel.startsWith(".cache/") && !rel.startsWith(".prefetch/")) {
        mirrored.put(
            rel,
            DemoModel.sha256(
                server
                    .admin()
                    .getObjectAsBytes(b -> b.bucket("mirror").key(o.key()))
                    .asByteArray()));
      }
    }
    assertEquals(new TreeMap<>(digests), mirrored);
    String sourceEtag =
        server.admin().headObject(b -> b.bucket("models").key("src/config.json")).eTag();
    assertEquals(
        sourceEtag,
        server
            .admin()
            .getObjectAsBytes(
                b -> b.bucket("mirror").key("copies/m/.cache/s3/download/config.json.metadata"))
            .asUtf8String());
    JsonNode marker =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(
                server
                    .admin()
                    .getObjectAsBytes(
                        b -> b.bucket("mirror").key("copies/m/.prefetch/complete.json"))
                    .asByteArray());
    assertEquals(PrefetchIT.MODEL.size(), marker.path("files").size());
    assertEquals("multipart-md5", verifiedBy().get("consolidated.safetensors"));

    Cli rerun = run("s3a://mirror/copies/");
    assertEquals(0, rerun.status(), rerun.toString());
    assertEquals(
        PrefetchIT.MODEL.size(),
        PrefetchIT.json(dest.resolve("report.json")).path("totals").path("present").asInt());
  }

  @Test
  void fileUriDestinationLandsByteIdentical() throws IOException {
    Cli cli = run(dest.resolve("hd").toUri().toString());

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("hd/m")));
    assertEquals(List.of(), PrefetchIT.leftovers(dest.resolve("hd/m")));
  }

  Map<String, String> verifiedBy() throws IOException {
    Map<String, String> out = new TreeMap<>();
    PrefetchIT.json(dest.resolve("report.json"))
        .path("objects")
        .forEach(o -> out.put(o.path("relativePath").asText(), o.path("verifiedBy").asText()));
    return out;
  }
}
