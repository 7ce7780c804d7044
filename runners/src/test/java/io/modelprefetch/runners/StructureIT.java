package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.SafetensorsFiles.Tensor;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A model checked as a model, end to end against S3Proxy: generated safetensors files (valid,
 * truncated, a header longer than the file, overlapping offsets, a gap, a dtype and shape that do
 * not match the offsets, a header that is not JSON), shard indexes that name a shard the store
 * lacks or miss one it holds, a shard the filters dropped, and a configuration that is not JSON.
 * Every malformed file fails by its rule, is fetched once and never committed; the others land.
 */
class StructureIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  @TempDir static Path serverDir;
  @TempDir static Path sources;
  static EmbeddedS3 server;

  /** The SHA-256 of every uploaded object, by prefix and relative path. */
  static final Map<String, Map<String, String>> DIGESTS = new TreeMap<>();

  @TempDir Path dest;

  static final String INDEX_OF_TWO =
      index("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");

  /** What each malformed file of {@code bad/} breaks, as the check words it. */
  static final Map<String, String> RULES =
      new TreeMap<>(
          Map.of(
              "model-00002-of-00002.safetensors",
                  "the header declares tensor data up to byte 2097256 (tensor "
                      + "'model.layers.1.mlp.weight' ends there), the file has 2093160 bytes: the file is truncated, 4096 bytes"
                      + " short; upload it again",
              "header-too-long.safetensors",
                  "the header ends at byte 1000008, the file has 116 bytes: the file is truncated,"
                      + " upload it again",
              "overlap.safetensors",
                  "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a' (data_offsets [0, 8])",
              "gap.safetensors",
                  "tensor 'b' (data_offsets [12, 20]) starts after tensor 'a' (data_offsets [0, 8]) ends: data"
                      + " bytes 8 to 12 belong to no tensor",
              "mismatch.safetensors",
                  "tensor 'a' is F32 of shape [4], which takes 16 bytes, but its data_offsets [0, 8] hold 8",
              "not-json.safetensors",
                  "the header is not valid JSON: Unrecognized token 'weights': was expecting (JSON String,"
                      + " Number, Array, Object or token 'null', 'true' or 'false') at line 1, column 1",
              "generation_config.json",
                  "the file is not valid JSON: Unexpected end-of-input within/between Object entries at"
                      + " line 2, column 1"));

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    server.admin().createBucket(b -> b.bucket(BUCKET));
    server.admin().createBucket(b -> b.bucket("mirror"));

    // bad/: a sharded model whose second shard was cut short, beside files broken every other way.
    Map<String, Path> bad = new LinkedHashMap<>();
    bad.put(
        "config.json",
        text(
            "bad/config.json",
            "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 1024}\n"));
    bad.put(
        "generation_config.json", text("bad/generation_config.json", "{\"bos_token_id\": 1,\n"));
    bad.put("model.safetensors.index.json", text("bad/model.safetensors.index.json", INDEX_OF_TWO));
    bad.put(
        "model-00001-of-00002.safetensors",
        SafetensorsFiles.write(
            file("bad/model-00001-of-00002.safetensors"),
            List.of(
                new Tensor("model.embed_tokens.weight", "BF16", 512, 1024),
                new Tensor("model.layers.0.mlp.weight", "F16", 1024, 1024))));
    Path truncated =
        SafetensorsFiles.write(
            file("bad/model-00002-of-00002.safetensors"),
            List.of(new Tensor("model.layers.1.mlp.weight", "F16", 1024, 1024)));
    try (FileChannel channel = FileChannel.open(truncated, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 4096);
    }
    bad.put("model-00002-of-00002.safetensors", truncated);
    bad.put(
        "header-too-long.safetensors",
        SafetensorsFiles.writeRaw(
            file("bad/header-too-long.safetensors"),
            1_000_000,
            "{}      ".getBytes(StandardCharsets.UTF_8),
            100,
            false));
    bad.put(
        "overlap.safetensors",
        SafetensorsFiles.writeRaw(
            file("bad/overlap.safetensors"),
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}",
            12,
            false));
    bad.put(
        "gap.safetensors",
        SafetensorsFiles.writeRaw(
            file("bad/gap.safetensors"),
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[12,20]}}",
            20,
            false));
    bad.put(
        "mismatch.safetensors",
        SafetensorsFiles.writeRaw(
            file("bad/mismatch.safetensors"),
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}",
            8,
            false));
    bad.put(
        "not-json.safetensors",
        SafetensorsFiles.writeRaw(file("bad/not-json.safetensors"), "weights: a, b, c", 0, false));
    bad.put(
        "tokenizer.model",
        bytes("bad/tokenizer.model", DemoModel.content(DemoModel.File.single("t", 4096))));
    upload("bad/", bad);

    // Shard indexes against what the store holds.
    upload(
        "missing/",
        shards("missing/", "model-00001-of-00003.safetensors", "model-00003-of-00003.safetensors"),
        Map.of(
            "model.safetensors.index.json",
            text(
                "missing/model.safetensors.index.json",
                index(
                    "model-00001-of-00003.safetensors",
                    "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors"))));
    upload(
        "unnamed/",
        shards("unnamed/", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"),
        Map.of(
            "model.safetensors.index.json",
            text(
                "unnamed/model.safetensors.index.json",
                index("model-00001-of-00002.safetensors"))));
    upload(
        "dropped/",
        shards("dropped/", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"),
        Map.of(
            "model.safetensors.index.json",
            text("dropped/model.safetensors.index.json", INDEX_OF_TWO),
            "config.json",
            text("dropped/config.json", "{\"hidden_size\": 64}\n")));
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  Cli run(String prefix, String... args) {
    return runInto(dest.toString(), prefix, args);
  }

  Cli runInto(String localDir, String prefix, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--local-dir",
                localDir,
                "--part-size",
                "1MiB",
                "--part-threshold",
                "2MiB",
                "--model-uri",
                "s3://" + BUCKET + "/" + prefix,
                "--model-name",
                "m",
                "--report",
                dest.resolve("report.json").toString()));
    all.addAll(List.of(args));
    return Cli.run(server.environment(), all.toArray(String[]::new));
  }

  @Test
  void malformedFilesFailByTheirRuleOnceAndAreNotCommittedWhileTheOthersLand() throws IOException {
    Cli cli = run("bad/");

    assertEquals(1, cli.status(), cli.toString());
    Path model = dest.resolve("m");
    Map<String, String> landed = new TreeMap<>(DIGESTS.get("bad/"));
    landed.keySet().removeAll(RULES.keySet());
    assertEquals(
        landed,
        PrefetchIT.digests(model),
        "every sound file lands, no malformed one under its name");
    for (Map.Entry<String, String> rule : RULES.entrySet()) {
      assertTrue(
          cli.err()
              .contains(
                  "FAILED s3://models/bad/"
                      + rule.getKey()
                      + ": the source object is malformed: "
                      + rule.getValue()
                      + "; fetching again will not help\n"),
          rule.getKey() + "\n" + cli);
    }
    assertEquals(RULES.size(), OperabilityIT.occurrences(cli.err(), "FAILED "), cli.err());
    assertEquals(List.of(), PrefetchIT.leftovers(model), "no temporary file remains");
    assertEquals(
        List.of("lock"),
        OperabilityIT.tree(model.resolve(".prefetch")).stream()
            .filter(p -> !p.startsWith("parts"))
            .toList(),
        "no completion marker");

    JsonNode report = PrefetchIT.json(dest.resolve("report.json"));
    assertEquals(Set.of(), OperabilityIT.validate(report));
    Map<String, String> structure = new TreeMap<>();
    for (JsonNode o : report.path("objects")) {
      String path = o.path("relativePath").asText();
      structure.put(path, o.path("structure").asText());
      assertEquals("[]", o.path("structureNotes").toString(), path);
      if (RULES.containsKey(path)) {
        assertEquals("failed", o.path("status").asText(), path);
        assertEquals(
            o.path("size").asLong(),
            o.path("bytesFetched").asLong(),
            path + " is fetched once, not again");
        assertEquals(0, o.path("retries").asInt(), path);
      } else {
        assertEquals("verified", o.path("status").asText(), path);
      }
    }
    Map<String, String> expected = new TreeMap<>();
    RULES.keySet().forEach(path -> expected.put(path, "failed"));
    expected.putAll(
        Map.of(
            "config.json",
            "ok",
            "model.safetensors.index.json",
            "ok",
            "model-00001-of-00002.safetensors",
            "ok",
            "tokenizer.model",
            "not-applicable"));
    assertEquals(expected, structure);
    assertEquals(
        "{\"ok\":3,\"failed\":7,\"notApplicable\":1}",
        report.path("totals").path("structure").toString());
  }

  @Test
  void structureCheckOffCommitsEveryFileAsTheStoreHoldsIt() throws IOException {
    Cli cli = run("bad/", "--structure-check", "off");

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("m");
    assertEquals(DIGESTS.get("bad/"), PrefetchIT.digests(model));
    assertTrue(Files.exists(model.resolve(".prefetch/complete.json")));
    JsonNode report = PrefetchIT.json(dest.resolve("report.json"));
    report
        .path("objects")
        .forEach(o -> assertEquals("not-applicable", o.path("structure").asText(), o.toString()));
    assertEquals(
        "{\"ok\":0,\"failed\":0,\"notApplicable\":11}",
        report.path("totals").path("structure").toString());
  }

  @Test
  void anIndexNamingAShardTheStoreLacksFailsAndItsShardsLand() throws IOException {
    Cli cli = run("missing/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/missing/model.safetensors.index.json: the source object is"
                    + " malformed: the index names a shard the store does not hold: model-00002-of-00003.safetensors (the model's"
                    + " upload is incomplete: upload it); fetching again will not help\n"),
        cli.toString());
    Map<String, String> shards = new TreeMap<>(DIGESTS.get("missing/"));
    shards.remove("model.safetensors.index.json");
    assertEquals(shards, PrefetchIT.digests(dest.resolve("m")));
    assertFalse(Files.exists(dest.resolve("m/.prefetch/complete.json")));
  }

  @Test
  void aShardNoIndexNamesFailsTheIndex() throws IOException {
    Cli cli = run("unnamed/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/unnamed/model.safetensors.index.json: the source object is"
                    + " malformed: the index does not name a shard of its naming that the store holds, so it lacks its tensors"
                    + " (upload the index written with these shards): model-00002-of-00002.safetensors; fetching again will not"
                    + " help\n"),
        cli.toString());
    assertFalse(Files.exists(dest.resolve("m/model.safetensors.index.json")));
    assertTrue(Files.exists(dest.resolve("m/model-00002-of-00002.safetensors")));
  }

  @Test
  void aShardTheFiltersDropIsANoteLoggedOnceAndReportedNotAFailure() throws Exception {
    // Its own JVM, whose stderr holds the log lines.
    Cli cli =
        ChildJvm.runCli(
            server.environment(),
            dest,
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/dropped/",
            "--model-name",
            "m",
            "--exclude",
            "model-00002-of-00002.safetensors",
            "--report",
            dest.resolve("report.json").toString());

    assertEquals(0, cli.status(), cli.toString());
    String note =
        "the filters drop a shard the index names: model-00002-of-00002.safetensors (the local copy lacks"
            + " its tensors)";
    assertEquals(
        1,
        OperabilityIT.occurrences(
            cli.err(), "s3://models/dropped/model.safetensors.index.json: " + note + "\n"),
        cli.toString());
    assertTrue(
        cli.err().lines().anyMatch(line -> line.contains("WARN") && line.endsWith(note)),
        cli.toString());
    Map<String, String> kept = new TreeMap<>(DIGESTS.get("dropped/"));
    kept.remove("model-00002-of-00002.safetensors");
    assertEquals(kept, PrefetchIT.digests(dest.resolve("m")));
    assertTrue(Files.exists(dest.resolve("m/.prefetch/complete.json")));
    JsonNode report = PrefetchIT.json(dest.resolve("report.json"));
    assertEquals(Set.of(), OperabilityIT.validate(report));
    for (JsonNode o : report.path("objects")) {
      boolean index = o.path("relativePath").asText().equals("model.safetensors.index.json");
      assertEquals("ok", o.path("structure").asText(), o.toString());
      assertEquals(
          index ? "[\"" + note + "\"]" : "[]", o.path("structureNotes").toString(), o.toString());
    }
  }

  @Test
  void aHadoopDestinationChecksTheStagedFileAndPublishesNoMalformedOne() throws IOException {
    Cli cli = runInto("s3a://mirror/copies/", "bad/");

    assertEquals(1, cli.status(), cli.toString());
    for (Map.Entry<String, String> rule : RULES.entrySet()) {
      assertTrue(
          cli.err()
              .contains(
                  "FAILED s3://models/bad/"
                      + rule.getKey()
                      + ": the source object is malformed: "
                      + rule.getValue()
                      + "; fetching again will not help\n"),
          rule.getKey() + "\n" + cli);
    }
    Map<String, String> published = new TreeMap<>();
    for (S3Object o :
        server.admin().listObjectsV2(b -> b.bucket("mirror").prefix("copies/m/")).contents()) {
      published.put(
          o.key().substring("copies/m/".length()),
          DemoModel.sha256(
              server.admin().getObjectAsBytes(b -> b.bucket("mirror").key(o.key())).asByteArray()));
    }
    published.keySet().removeIf(path -> path.startsWith(".cache/"));
    Map<String, String> landed = new TreeMap<>(DIGESTS.get("bad/"));
    landed.keySet().removeAll(RULES.keySet());
    assertEquals(
        landed, published, "the sound files are published, no malformed one and no marker");
  }

  private static String index(String... shards) {
    StringBuilder map = new StringBuilder();
    for (int i = 0; i < shards.length; i++) {
      map.append(i == 0 ? "" : ",\n")
          .append("    \"model.layers.")
          .append(i)
          .append(".mlp.weight\": \"")
          .append(shards[i])
          .append('"');
    }
    return "{\n  \"metadata\": {\"total_size\": 1},\n  \"weight_map\": {\n" + map + "\n  }\n}\n";
  }

  /** Valid shards of one tensor each. */
  private static Map<String, Path> shards(String prefix, String... names) throws IOException {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String name : names) {
      files.put(
          name,
          SafetensorsFiles.write(file(prefix + name), List.of(new Tensor("w", "F16", 256, 1024))));
    }
    return files;
  }

  private static Path file(String relative) throws IOException {
    Path file = sources.resolve(relative);
    Files.createDirectories(file.getParent());
    return file;
  }

  private static Path text(String relative, String content) throws IOException {
    return Files.writeString(file(relative), content);
  }

  private static Path bytes(String relative, byte[] content) throws IOException {
    return Files.write(file(relative), content);
  }

  @SafeVarargs
  private static void upload(String prefix, Map<String, Path>... parts) throws IOException {
    Map<String, String> digests = DIGESTS.computeIfAbsent(prefix, p -> new TreeMap<>());
    for (Map<String, Path> files : parts) {
      for (Map.Entry<String, Path> f : files.entrySet()) {
        server
            .admin()
            .putObject(
                b -> b.bucket(BUCKET).key(prefix + f.getKey()), RequestBody.fromFile(f.getValue()));
        digests.put(f.getKey(), PrefetchIT.sha256(f.getValue()));
      }
    }
  }
}
