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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store (or a proxy in front of it) that answers wrongly, between the tool and a real S3Proxy:
 * listings that loop, a malformed entry, a captive portal's page, keys that try to forge log lines,
 * a Content-Length that does not match the body. Each fails only what it must, in one plain line.
 */
class HostileStoreIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("w.bin", 2 * MIB + 3),
          DemoModel.File.single("sub/tokenizer.json", 0));

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static FaultProxy proxy;
  static Map<String, String> digests;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 16L);
    digests = DemoModel.upload(server.admin(), BUCKET, "store/", MODEL);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void quietProxy() {
    proxy.answers(null).faults(Map.of());
    proxy.resetCounters();
  }

  static Map<String, String> env() {
    return server.environment(proxy.endpoint());
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
    return Cli.run(env(), args.toArray(String[]::new));
  }

  JsonNode report() throws IOException {
    return PrefetchIT.json(dest.resolve("report.json"));
  }

  static JsonNode object(JsonNode report, String uri) {
    for (JsonNode o : report.path("objects")) {
      if (o.path("uri").asText().equals(uri)) {
        return o;
      }
    }
    throw new AssertionError("no object " + uri + " in " + report);
  }

  /**
   * Page one of the real listing, said to go on with {@code token}; later pages as {@code later}
   * makes them.
   */
  static FaultProxy.AnswerHook loopingListing(
      String token, java.util.function.UnaryOperator<String> later) {
    String[] first = {null};
    return (request, upstream) -> {
      if (!request.isListing()) {
        return null;
      }
      String truncated =
          "<IsTruncated>true</IsTruncated><NextContinuationToken>"
              + token
              + "</NextContinuationToken>";
      if (request.query("continuation-token") == null) {
        first[0] = upstream.text().replace("<IsTruncated>false</IsTruncated>", truncated);
        return upstream.with(first[0]);
      }
      return FaultProxy.ownAnswer(
          "HTTP/1.1 200 OK", "application/xml;charset=utf-8", later.apply(first[0]), true);
    };
  }

  @Test
  void aListingThatGivesBackTheSameContinuationTokenFailsNamingTheUriAndFetchesNothing()
      throws IOException {
    proxy.answers(loopingListing("page-2", page -> page));

    Cli cli = run("store/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/store/: listing failed: s3://models/store/: the listing of"
                    + " s3://models/store/ loops: page 2 gave the continuation token 'page-2' that an earlier page gave; the store (or"
                    + " a proxy in front of it) does not page correctly: check the endpoint\n"),
        cli.err());
    assertEquals(
        4, proxy.listings(), "two pages for the space check, two for the pipeline: then it stops");
    assertEquals(0, proxy.objectGets(), "a listing that fails fetches none of the objects it saw");
    assertEquals(List.of("report.json"), OperabilityIT.tree(dest));
  }

  @Test
  void anEmptyPageWithARepeatedTokenFailsTheListingToo() throws IOException {
    proxy.answers(
        loopingListing(
            "again",
            page ->
                page.replaceAll("<Contents>.*?</Contents>", "")
                    .replaceAll("<KeyCount>\\d+</KeyCount>", "<KeyCount>0</KeyCount>")));

    Cli cli = run("store/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/store/: listing failed: s3://models/store/: the listing of"
                    + " s3://models/store/ loops: page 2 gave the continuation token 'again' that an earlier page gave (with no"
                    + " object); the store (or a proxy in front of it) does not page correctly: check the endpoint\n"),
        cli.err());
    assertEquals(0, proxy.objectGets());
  }

  @Test
  void anEntryWithANegativeSizeFailsOnlyThatObjectAndTheOthersLandWithAReport() throws IOException {
    proxy.answers(
        (request, upstream) ->
            request.isListing()
                ? upstream.with(
                    upstream
                        .text()
                        .replaceAll("(<Key>store/w\\.bin</Key>.*?<Size>)\\d+(</Size>)", "$1-5$2"))
                : null);

    Cli cli = run("store/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/store/w.bin: refused: the listing gives s3://models/store/w.bin"
                    + " a size of -5 bytes, which no object has; the store's listing is malformed (check the endpoint and any proxy"
                    + " in front of it)\n"),
        cli.err());
    assertTrue(
        cli.err()
            .contains(
                "model-prefetch: 1 model(s), 3 object(s): 2 verified, 0 already present, 1 failed;"),
        cli.err());
    Map<String, String> landed = PrefetchIT.digests(dest.resolve("m"));
    assertEquals(
        Map.of(
            "config.json",
            digests.get("config.json"),
            "sub/tokenizer.json",
            digests.get("sub/tokenizer.json")),
        landed);
    assertEquals(0, proxy.objectGets("/models/store/w.bin"));
    JsonNode failed = object(report(), "s3://models/store/w.bin");
    assertEquals("failed", failed.path("status").asText());
    assertEquals(0, failed.path("size").asLong());
    assertEquals(java.util.Set.of(), OperabilityIT.validate(report()));
  }

  @Test
  void aLoginPageAnsweringTheListingSaysTheEndpointDidNotAnswerAsS3() throws IOException {
    String page =
        "<html><head><title>Hotel Wi-Fi</title></head>\n<body>Please log in</body></html>";
    proxy.answers(
        (request, upstream) ->
            request.isListing()
                ? FaultProxy.ownAnswer("HTTP/1.1 200 OK", "text/html; charset=utf-8", page, true)
                : null);
    String notS3 =
        "the endpoint "
            + proxy.endpoint()
            + " did not answer as S3: ListObjectsV2 got HTTP 200 with"
            + " Content-Type 'text/html; charset=utf-8' and a body starting '<html><head><title>Hotel Wi-Fi</title></head>\\n"
            + "<body>Please log in</body></html>' instead of S3's XML; check the endpoint URL, and any proxy or login page"
            + " (a captive portal) between this machine and the store";

    Cli cli = run("store/");
    Cli doctor = Cli.run(env(), "doctor", "--model-uri", "s3://models/store/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/store/: listing failed: s3://models/store/: " + notS3 + "\n"),
        cli.err());
    assertEquals(0, proxy.objectGets());
    assertEquals(1, doctor.status(), doctor.toString());
    assertTrue(
        doctor.out().contains("FAIL request: ListObjectsV2: s3://models: " + notS3 + "\n"),
        doctor.out());
  }

  @Test
  void aKeyThatTriesToForgeTheSummaryLineIsPrintedEscapedAndLandsUnderItsExactName()
      throws IOException {
    String forged =
        "model-prefetch: 1 model(s), 6 object(s): 6 verified, 0 already present, 0 failed";
    DemoModel.upload(
        server.admin(),
        BUCKET,
        "forge/",
        List.of(
            DemoModel.File.single("config.json", 0),
            DemoModel.File.single("evil\n" + forged, 100),
            DemoModel.File.single(".prefetch/x\n" + forged, 100)));
    String escaped = "\\n" + forged;

    Cli dryRun = run("forge/", "--dry-run");
    Cli cli = run("forge/");
    Cli doctor = Cli.run(env(), "doctor", "--model-uri", "s3://models/forge/");

    for (Cli c : List.of(dryRun, cli)) {
      assertEquals(1, c.status(), c.toString());
      assertFalse(
          (c.out() + c.err()).lines().anyMatch(line -> line.startsWith(forged)), c.toString());
      assertTrue(
          c.err()
              .contains(
                  "FAILED s3://models/forge/.prefetch/x"
                      + escaped
                      + ": refused: key 'forge/.prefetch/x"
                      + escaped
                      + "' would overwrite the download bookkeeping in .prefetch/\n"),
          c.err());
    }
    assertTrue(
        dryRun.out().contains("  fetch            100  evil" + escaped + "\n"), dryRun.out());
    assertEquals(0, doctor.status(), doctor.toString());
    assertFalse(doctor.out().lines().anyMatch(line -> line.startsWith(forged)), doctor.out());
    assertTrue(
        doctor.out().contains(".prefetch/x" + escaped + " (100 bytes), config.json ("),
        doctor.out());
    assertTrue(doctor.out().contains("evil" + escaped + " (100 bytes)"), doctor.out());
    assertTrue(
        cli.err()
            .contains(
                "\nmodel-prefetch: 1 model(s), 3 object(s): 2 verified, 0 already present, 1 failed;"),
        cli.err());
    assertTrue(
        Files.isRegularFile(dest.resolve("m").resolve("evil\n" + forged)),
        "the file has its exact name");
    assertEquals(
        "evil\n" + forged,
        object(report(), "s3://models/forge/evil\n" + forged).path("relativePath").asText(),
        "the report keeps the exact key, JSON-escaped");
  }

  @Test
  void aContentLengthShorterThanTheBodyFailsInPlainWords() throws IOException {
    // A keep-alive server that counts 10 bytes fewer than it sends: the rest poisons the next
    // answer
    // on that connection, which then has no status line.
    proxy.answers(
        (request, upstream) ->
            request.method().equals("GET") && !request.isListing()
                ? new FaultProxy.Upstream(
                        upstream.statusLine(),
                        upstream.headers().stream()
                            .filter(
                                h ->
                                    !h.toLowerCase(java.util.Locale.ROOT).startsWith("connection:"))
                            .toList(),
                        upstream.body())
                    .with(upstream.body(), upstream.body().length - 10)
                : null);

    Cli cli =
        run("store/", "--num-threads", "1", "--part-size", "1MiB", "--part-threshold", "1MiB");

    assertEquals(1, cli.status(), cli.toString());
    List<String> failed = cli.err().lines().filter(l -> l.startsWith("FAILED ")).toList();
    assertEquals(3, failed.size(), cli.err());
    for (String line : failed) {
      assertTrue(
          line.matches(
              "FAILED (s3://models/store/\\S+): \\1 bytes=\\d+-\\d+: (server answered bytes=\\d+-\\d+ with"
                  + " \\d+ bytes instead of \\d+ \\(a Content-Length that does not match the range asked for\\)|"
                  + java.util.regex.Pattern.quote(NOT_HTTP)
                  + ")"),
          line);
    }
  }

  static final String NOT_HTTP =
      "the answer is not valid HTTP (no status line): the server or a proxy in front of it"
          + " sent a Content-Length that does not match the body, or does not speak HTTP";

  @Test
  void anAnswerWithoutAStatusLineFailsInPlainWords() throws IOException {
    proxy.answers(
        (request, upstream) ->
            request.target().startsWith("/models/store/config.json")
                ? "\u0000\u0001 not HTTP\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)
                : null);

    Cli cli = run("store/", "--include", "config.json");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/store/config.json: s3://models/store/config.json bytes=0-139: "
                    + NOT_HTTP
                    + "\n"),
        cli.err());
  }
}
