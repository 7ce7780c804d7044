package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.FaultProxy.Fault;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multipart uploads that keep no checksum, whose part size must be guessed from the ETag's part
 * count and the size: a guess that no layout matches is fetched again, and only bytes that come the
 * same twice are committed (checked by size only); {@code --require-digest} refuses them.
 */
class GuessedLayoutIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static FaultProxy proxy;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 20261202L);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void quietProxy() {
    proxy.faults(Map.of()).maxFaultsPerPath(Integer.MAX_VALUE).beforeObjectGet(path -> {});
    proxy.resetCounters();
  }

  Cli run(String prefix, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://" + BUCKET + "/" + prefix,
                "--model-name",
                "m",
                "--report",
                dest.resolve("report.json").toString()));
    args.addAll(List.of(extra));
    return Cli.run(server.environment(proxy.endpoint()), args.toArray(String[]::new));
  }

  JsonNode object() throws IOException {
    return PrefetchIT.json(dest.resolve("report.json")).path("objects").get(0);
  }

  @Test
  void aFlippedByteOfAnAmbiguousLayoutIsFetchedAgainAndThenMatchesItsPartSize() throws IOException {
    // 24 MiB in 8 MiB parts: 3 parts, which 10 MiB parts would also make.
    Map<String, String> seeded =
        DemoModel.upload(
            server.admin(),
            BUCKET,
            "flip/",
            List.of(DemoModel.File.multipart("w.safetensors", 24 * MIB, 8 * MIB)));
    proxy.faults(Map.of(Fault.FLIP, 1.0)).maxFaultsPerPath(1);

    Cli cli = run("flip/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(seeded, PrefetchIT.digests(dest.resolve("m")));
    assertEquals(1, proxy.injected(Fault.FLIP));
    assertEquals("multipart-md5", object().path("verifiedBy").asText());
    assertEquals(1, object().path("retries").asInt(), "one whole-object refetch");
    assertEquals(2 * 24 * MIB, object().path("bytesFetched").asLong());
  }

  @Test
  void aPartSizeNoGuessMatchesIsCommittedBySizeOnlyOnceTheBytesCameTheSameTwice()
      throws IOException {
    // 21 MiB in 7 MiB parts: 3 parts; the common sizes that fit (8 and 10 MiB) are not it.
    Map<String, String> seeded =
        DemoModel.upload(
            server.admin(),
            BUCKET,
            "odd/",
            List.of(DemoModel.File.multipart("w.safetensors", 21 * MIB, 7 * MIB)));

    Cli cli = run("odd/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(seeded, PrefetchIT.digests(dest.resolve("m")));
    assertEquals("size", object().path("verifiedBy").asText());
    assertEquals(
        2 * 21 * MIB,
        object().path("bytesFetched").asLong(),
        "fetched twice, to see the bytes stay");
    assertEquals(1, object().path("retries").asInt());
    assertTrue(
        cli.err().contains("model-prefetch: progress: done: m 1/1 files, 22020096/22020096 bytes;"),
        cli.err());
    assertTrue(
        cli.err()
            .contains(
                "model-prefetch: 1 model(s), 1 object(s): 1 verified, 0 already present, 0 failed;"),
        cli.err());
    assertTrue(cli.err().contains("; 1 of them (21.0 MiB) checked by size only\n"), cli.err());
    assertEquals(
        1,
        PrefetchIT.json(dest.resolve("report.json"))
            .path("totals")
            .path("sizeOnlyObjects")
            .asInt());
  }

  @Test
  void requireDigestRefusesAnObjectCheckedBySizeOnlyAndCommitsNothing() throws IOException {
    DemoModel.upload(
        server.admin(),
        BUCKET,
        "strict/",
        List.of(
            DemoModel.File.multipart("w.safetensors", 21 * MIB, 7 * MIB),
            DemoModel.File.single("config.json", 0)));

    Cli cli = run("strict/", "--require-digest");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/strict/w.safetensors: only its size could be checked: the store"
                    + " keeps no digest of it (no MD5 ETag, no S3 or TOS checksum, no uploader's MD5), and --require-digest"
                    + " refuses size alone\n"),
        cli.err());
    assertFalse(Files.exists(dest.resolve("m/w.safetensors")));
    assertTrue(Files.exists(dest.resolve("m/config.json")), "the others land");
    assertEquals(List.of(), PrefetchIT.leftovers(dest.resolve("m")));
  }

  @Test
  void requireDigestWithSizeVerificationIsRefusedAsBadInput() {
    Cli cli = run("strict/", "--require-digest", "--verify", "size");

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: --require-digest asks for a digest of every object, but --verify size computes"
            + " none; give --verify full (or all) with it, or drop --require-digest\n",
        cli.err());
  }
}
