package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** The command line end to end on the DirectRunner against a real S3Proxy on 127.0.0.1. */
class PrefetchIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  /** A model with multi-range shards, a multipart upload, an empty file and nested folders. */
  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("tokenizer.json", 0),
          DemoModel.File.single("model-00001-of-00002.safetensors", 5 * MIB + 7),
          DemoModel.File.single("model-00002-of-00002.safetensors", 3 * MIB),
          DemoModel.File.multipart("consolidated.safetensors", 11 * MIB + 1, 5 * MIB),
          DemoModel.File.single("original/nested/deep/params.bin", 2 * MIB + 1),
          DemoModel.File.single("empty.txt", 0));

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static Map<String, String> sourceDigests;

  @TempDir Path dest;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    sourceDigests = DemoModel.upload(server.admin(), BUCKET, "llama/", MODEL);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  static Map<String, String> env() {
    return server.environment();
  }

  Cli run(String... args) {
    return run(env(), args);
  }

  Cli run(Map<String, String> env, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--local-dir", dest.toString(), "--part-size", "1MiB", "--part-threshold", "2MiB"));
    all.addAll(List.of(args));
    return Cli.run(env, all.toArray(String[]::new));
  }

  @Test
  void modelLandsByteIdenticalWithExactReport() throws IOException {
    Path report = dest.resolve("report.json");
    Cli cli = run("--model-uri", "s3://models/llama/", "--report", report.toString());

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("llama");
    assertEquals(model + "\n", cli.out());
    assertEquals(sourceDigests, digests(model));
    JsonNode r = json(report);
    assertEquals("ok", r.path("status").asText());
    assertEquals(7, r.path("totals").path("objects").asInt());
    assertEquals(7, r.path("totals").path("verified").asInt());
    long total = MODEL.stream().mapToLong(f -> DemoModel.content(f).length).sum();
    assertEquals(total, r.path("totals").path("bytes").asLong());
    assertEquals(total, r.path("totals").path("bytesFetched").asLong());
    Map<String, String> verifiedBy = new TreeMap<>();
    r.path("objects")
        .forEach(
            o -> verifiedBy.put(o.path("relativePath").asText(), o.path("verifiedBy").asText()));
    assertEquals(
        Map.of(
            "config.json", "md5",
            "tokenizer.json", "md5",
            "model-00001-of-00002.safetensors", "md5",
            "model-00002-of-00002.safetensors", "md5",
            "consolidated.safetensors", "multipart-md5",
            "original/nested/deep/params.bin", "md5",
            "empty.txt", "md5"),
        verifiedBy);
    for (JsonNode o : r.path("objects")) {
      String etag =
          Files.readString(
              model.resolve(".cache/s3/download/" + o.path("relativePath").asText() + ".metadata"));
      assertEquals(o.path("etag").asText(), etag);
      assertEquals(o.path("size").asLong(), o.path("bytesFetched").asLong());
    }
    assertTrue(
        r.path("objects").toString().contains("\"etag\":\"\\\""),
        "ETags keep their quotes as in S3");
    assertEquals(List.of(), leftovers(model), "no temporary file remains");
  }

  @Test
  void verifySizeChecksOnlySizesAndTheReportSaysSo() throws IOException {
    Path report = dest.resolve("size-only.json");
    Cli cli =
        run(
            "--model-uri",
            "s3://models/llama/",
            "--model-name",
            "size-only",
            "--verify",
            "size",
            "--report",
            report.toString());

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(sourceDigests, digests(dest.resolve("size-only")));
    JsonNode r = json(report);
    assertEquals(7, r.path("totals").path("verified").asInt());
    for (JsonNode o : r.path("objects")) {
      assertEquals("size", o.path("verifiedBy").asText(), o.toString());
      assertEquals("[\"size\"]", o.path("checks").toString(), o.toString());
    }
  }

  @Test
  void rerunSkipsPresentFilesAndRefetchesOnlyAChangedObject() throws IOException {
    String prefix = "rerun/";
    DemoModel.upload(server.admin(), BUCKET, prefix, MODEL);
    assertEquals(0, run("--model-uri", "s3://models/rerun/", "--model-name", "m").status());
    Path model = dest.resolve("m");
    long before = Files.getLastModifiedTime(model.resolve("config.json")).toMillis();

    Path report = dest.resolve("rerun.json");
    Cli rerun =
        run(
            "--model-uri",
            "s3://models/rerun/",
            "--model-name",
            "m",
            "--report",
            report.toString());
    assertEquals(0, rerun.status(), rerun.toString());
    JsonNode totals = json(report).path("totals");
    assertEquals(7, totals.path("present").asInt());
    assertEquals(0, totals.path("verified").asInt());
    assertEquals(0, totals.path("bytesFetched").asLong());
    assertEquals(before, Files.getLastModifiedTime(model.resolve("config.json")).toMillis());
    JsonNode marker = json(model.resolve(".prefetch/complete.json"));
    assertEquals(
        7,
        marker.path("files").size(),
        "the rerun, which runs no pipeline, still writes the marker");
    assertTrue(
        Instant.parse(marker.path("completedAt").asText()).toEpochMilli()
            >= Instant.parse(json(report).path("startedAt").asText()).toEpochMilli(),
        marker.toString());
    json(report)
        .path("objects")
        .forEach(o -> assertEquals("present", o.path("status").asText(), o.toString()));

    byte[] changed = "{\"changed\": true}\n".getBytes();
    server
        .admin()
        .putObject(
            b -> b.bucket(BUCKET).key(prefix + "tokenizer.json"), RequestBody.fromBytes(changed));
    Cli third =
        run(
            "--model-uri",
            "s3://models/rerun/",
            "--model-name",
            "m",
            "--report",
            report.toString());
    assertEquals(0, third.status(), third.toString());
    JsonNode r = json(report);
    assertEquals(1, r.path("totals").path("verified").asInt());
    assertEquals(6, r.path("totals").path("present").asInt());
    assertEquals(changed.length, r.path("totals").path("bytesFetched").asLong());
    assertEquals(DemoModel.sha256(changed), sha256(model.resolve("tokenizer.json")));
  }

  @Test
  void moreThanOneThousandKeysArePagedThrough() throws IOException {
    List<DemoModel.File> files = new ArrayList<>();
    for (int i = 0; i < 1005; i++) {
      files.add(DemoModel.File.single("shard-" + (i % 7) + "/part-" + i + ".bin", 16 + i % 50));
    }
    Map<String, String> expected = DemoModel.upload(server.admin(), BUCKET, "paged/", files);

    Cli cli = run("--model-uri", "s3://models/paged/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(expected, digests(dest.resolve("paged")));
    assertTrue(cli.err().contains("1005 object(s): 1005 verified"), cli.err());
  }

  @Test
  void includeAndExcludeGlobsAndSuffixesSelectFiles() throws IOException {
    Cli cli =
        run(
            "--model-uri",
            "s3://models/llama/",
            "--include",
            "*.json",
            "--include",
            "*.safetensors",
            "--exclude",
            "consolidated.*");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(
        List.of(
            "config.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "tokenizer.json"),
        List.copyOf(digests(dest.resolve("llama")).keySet()));

    Map<String, String> env = env();
    env.put("DOWNLOADER_ALLOW_FILE_SUFFIX", "bin, txt");
    Cli suffixes = run(env, "--model-uri", "s3://models/llama/", "--model-name", "bins");
    assertEquals(0, suffixes.status(), suffixes.toString());
    assertEquals(
        List.of("empty.txt", "original/nested/deep/params.bin"),
        List.copyOf(digests(dest.resolve("bins")).keySet()));
  }

  @Test
  void singleObjectUriLandsUnderItsOwnName() throws IOException {
    Cli cli = run("--model-uri", "s3://models/llama/model-00002-of-00002.safetensors");

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("model-00002-of-00002.safetensors");
    assertEquals(
        Map.of(
            "model-00002-of-00002.safetensors",
            sourceDigests.get("model-00002-of-00002.safetensors")),
        digests(model));
  }

  @Test
  void manifestFetchesEveryModelAndPrintsEachPath() throws IOException {
    DemoModel.upload(
        server.admin(), BUCKET, "second/", List.of(DemoModel.File.single("config.json", 0)));
    Path manifest = dest.resolve("models.yaml");
    Files.writeString(
        manifest,
        """
        localDir: %s
        models:
          - uri: s3://models/llama/
            name: first
            include: ["*.json"]
          - uri: s3://models/second/
        """
            .formatted(dest.resolve("from-manifest")));

    Cli cli = Cli.run(env(), "run", "--manifest", manifest.toString());

    assertEquals(0, cli.status(), cli.toString());
    Path root = dest.resolve("from-manifest");
    assertEquals(root.resolve("first") + "\n" + root.resolve("second") + "\n", cli.out());
    assertEquals(
        List.of("config.json", "tokenizer.json"),
        List.copyOf(digests(root.resolve("first")).keySet()));
    assertEquals(List.of("config.json"), List.copyOf(digests(root.resolve("second")).keySet()));
  }

  @Test
  void emptyListingFailsNamingTheUri() throws IOException {
    Cli cli = run("--model-uri", "s3://models/no-such-model/");

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

  @Test
  void filtersThatKeepNothingFailNamingTheFilters() {
    Cli cli = run("--model-uri", "s3://models/llama/", "--include", "*.gguf");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "listing of s3://models/llama/ found 7 objects but the filters kept none"
                    + " (include=[*.gguf], exclude=[], allowSuffixes=[])"),
        cli.err());
  }

  @Test
  void keyThatWouldOverwriteTheBookkeepingIsRefusedNeverWritten() throws IOException {
    // S3Proxy's file store refuses keys with '..' segments (those refusals are unit-tested in
    // DestinationPathsTest); a '.cache/' key is one a real store holds.
    server
        .admin()
        .putObject(b -> b.bucket(BUCKET).key("escape/ok.json"), RequestBody.fromString("{}"));
    server
        .admin()
        .putObject(
            b -> b.bucket(BUCKET).key("escape/.cache/s3/download/ok.json.metadata"),
            RequestBody.fromString("forged"));

    Cli cli = run("--model-uri", "s3://models/escape/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/escape/.cache/s3/download/ok.json.metadata: refused: key"
                    + " 'escape/.cache/s3/download/ok.json.metadata' would overwrite the download bookkeeping in .cache/"),
        cli.err());
    assertEquals(List.of("ok.json"), List.copyOf(digests(dest.resolve("escape")).keySet()));
    String sidecar = Files.readString(dest.resolve("escape/.cache/s3/download/ok.json.metadata"));
    assertEquals(
        server.admin().headObject(b -> b.bucket(BUCKET).key("escape/ok.json")).eTag(), sidecar);
  }

  @Test
  void wrongSecretFailsWithPlainCauseAndNeverShowsTheSecret() {
    Map<String, String> env = env();
    env.put("AWS_SECRET_ACCESS_KEY", "Wr0ngSecretValue-7f3a9c");

    Cli cli = run(env, "--model-uri", "s3://models/llama/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(cli.err().contains("the access key or secret key is wrong"), cli.err());
    assertFalse(cli.toString().contains("Wr0ngSecretValue-7f3a9c"));
  }

  @Test
  void explicitFalseInExtraConfigWinsOverEnvironment() throws IOException {
    Path report = dest.resolve("r.json");
    assertEquals(0, run("--model-uri", "s3://models/llama/", "--include", "config.json").status());
    Map<String, String> env = env();
    env.put("DOWNLOADER_FORCE_DOWNLOAD", "1");

    Cli forced =
        run(
            env,
            "--model-uri",
            "s3://models/llama/",
            "--include",
            "config.json",
            "--report",
            report.toString());
    assertEquals(0, forced.status(), forced.toString());
    assertEquals(1, json(report).path("totals").path("verified").asInt());

    Cli notForced =
        run(
            env,
            "--model-uri",
            "s3://models/llama/",
            "--include",
            "config.json",
            "--report",
            report.toString(),
            "--download-extra-config",
            "{\"force_download\": false}");
    assertEquals(0, notForced.status(), notForced.toString());
    assertEquals(1, json(report).path("totals").path("present").asInt());
  }

  @Test
  void tosUriUsesTosVariablesAndTheTosSidecarFolder() throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("TOS_ENDPOINT", server.endpoint().toString());
    env.put("TOS_REGION", EmbeddedS3.REGION);
    env.put("TOS_ACCESS_KEY", server.accessKey());
    env.put("TOS_SECRET_KEY", server.secretKey());

    Cli cli = run(env, "--model-uri", "tos://models/llama/", "--include", "*.json");

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("llama");
    assertEquals(
        Map.of(
            "config.json",
            sourceDigests.get("config.json"),
            "tokenizer.json",
            sourceDigests.get("tokenizer.json")),
        digests(model));
    assertEquals(
        server.admin().headObject(b -> b.bucket(BUCKET).key("llama/config.json")).eTag(),
        Files.readString(model.resolve(".cache/tos/download/config.json.metadata")));
  }

  static Map<String, String> digests(Path model) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(model)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        String rel = model.relativize(p).toString();
        if (!rel.startsWith(".cache/") && !rel.startsWith(".prefetch/")) {
          out.put(rel, sha256(p));
        }
      }
    }
    return out;
  }

  static List<Path> leftovers(Path model) throws IOException {
    try (Stream<Path> files = Files.walk(model)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".prefetch-part")).toList();
    }
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }
}
