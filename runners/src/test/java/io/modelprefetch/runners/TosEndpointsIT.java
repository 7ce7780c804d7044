package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.runners.demo.DemoModel;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The TOS endpoint mistakes, against TOS emulated on 127.0.0.1 with real TLS and real host names
 * ({@link TosEmulator}): each broken endpoint form first fails for real when an S3 client uses it
 * verbatim, then the command line, given the same form, fetches the model byte-identical through
 * the S3-compatible endpoint without sending the native endpoint anything. A rewrite keeps the
 * port, so the broken forms carry S3Proxy's port; the native server has its own port and is reached
 * only by the verbatim reproduction.
 */
class TosEndpointsIT {

  static final String BUCKET = "mybucket";
  static final String PREFIX = "llama/";

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("tokenizer.json", 0),
          DemoModel.File.single("model.safetensors", 3 * DemoModel.MIB + 5),
          DemoModel.File.single("original/params.bin", 64 * 1024 + 3));

  @TempDir static Path serverDir;
  static TosEmulator tos;
  static Map<String, String> sourceDigests;

  @TempDir Path dest;

  @BeforeAll
  static void startTos() throws Exception {
    tos = TosEmulator.start(serverDir);
    sourceDigests = DemoModel.upload(tos.admin(), BUCKET, PREFIX, MODEL);
  }

  @AfterAll
  static void stopTos() throws Exception {
    if (tos != null) {
      tos.close();
    }
  }

  @Test
  void bucketQualifiedEndpointUsedVerbatimFailsTlsForTheDoubledBucketHost() {
    try (S3Client s3 =
        verbatimClient("https://" + BUCKET + "." + TosEmulator.S3_HOST + ":" + tos.port())) {
      SdkClientException e =
          assertThrows(
              SdkClientException.class,
              () -> s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(PREFIX)));

      SSLPeerUnverifiedException cause =
          assertInstanceOf(SSLPeerUnverifiedException.class, e.getCause(), e::toString);
      assertEquals(
          "Certificate for <mybucket.mybucket.tos-s3-cn-beijing.volces.com> doesn't match any of the subject"
              + " alternative names: [*.tos-s3-cn-beijing.volces.com, tos-s3-cn-beijing.volces.com,"
              + " *.tos-cn-beijing.volces.com, tos-cn-beijing.volces.com]",
          cause.getMessage());
    }
  }

  @Test
  void nativeEndpointUsedVerbatimAnswersHttp400() {
    int before = tos.nativeRequests();
    try (S3Client s3 =
        verbatimClient("https://" + TosEmulator.NATIVE_HOST + ":" + tos.nativePort())) {
      S3Exception e =
          assertThrows(
              S3Exception.class, () -> s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(PREFIX)));

      assertEquals(400, e.statusCode());
      assertEquals("InvalidArgument", e.awsErrorDetails().errorCode());
      assertEquals(before + 1, tos.nativeRequests(), "one request, not retried");
    }
  }

  @Test
  void endpointWithoutSchemeIsRefusedByTheSdkVerbatim() {
    NullPointerException e =
        assertThrows(NullPointerException.class, () -> verbatimClient(TosEmulator.S3_HOST).close());

    assertEquals("The URI scheme of endpointOverride must not be null.", e.getMessage());
  }

  static Stream<Arguments> brokenForms() {
    return Stream.of(
        Arguments.of(
            "https://mybucket.tos-cn-beijing.volces.com:%d",
            "TOS_ENDPOINT https://mybucket.tos-cn-beijing.volces.com:%d is the native, bucket-qualified endpoint;"
                + " using https://tos-s3-cn-beijing.volces.com:%d, region cn-beijing, virtual-hosted addressing"),
        Arguments.of(
            "https://tos-cn-beijing.volces.com:%d",
            "TOS_ENDPOINT https://tos-cn-beijing.volces.com:%d is the native endpoint;"
                + " using https://tos-s3-cn-beijing.volces.com:%d, region cn-beijing, virtual-hosted addressing"),
        Arguments.of(
            "tos-s3-cn-beijing.volces.com:%d",
            "TOS_ENDPOINT tos-s3-cn-beijing.volces.com:%d has no scheme;"
                + " using https://tos-s3-cn-beijing.volces.com:%d, region cn-beijing, virtual-hosted addressing"),
        Arguments.of(
            "https://mybucket.tos-s3-cn-beijing.volces.com:%d",
            "TOS_ENDPOINT https://mybucket.tos-s3-cn-beijing.volces.com:%d is the bucket-qualified endpoint;"
                + " using https://tos-s3-cn-beijing.volces.com:%d, region cn-beijing, virtual-hosted addressing"));
  }

  @ParameterizedTest
  @MethodSource("brokenForms")
  void runRewritesBrokenFormAndFetchesByteIdenticalWithoutTouchingTheNativeEndpoint(
      String form, String note) throws IOException {
    int port = tos.port();
    int nativeBefore = tos.nativeRequests();
    Path report = dest.resolve("report.json");

    Cli cli = run(tos.env(form.formatted(port)), "--report", report.toString());

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("llama");
    assertEquals(model + "\n", cli.out());
    assertEquals(sourceDigests, PrefetchIT.digests(model));
    assertTrue(
        cli.err().contains("1 model(s), 4 object(s): 4 verified, 0 already present, 0 failed"),
        cli.err());
    JsonNode endpoints = PrefetchIT.json(report).path("endpoints");
    assertEquals("[\"" + note.formatted(port, port) + "\"]", endpoints.toString());
    assertEquals(nativeBefore, tos.nativeRequests(), "the native endpoint got no request");
    assertFalse(cli.toString().contains(tos.secretKey()));
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of(
            (IntFunction<Map<String, String>>)
                port -> {
                  Map<String, String> env = tos.env("https://tos-s3-cn-beijing.volces.com:" + port);
                  env.put("TOS_REGION", "cn-shanghai");
                  return env;
                },
            List.of(),
            "TOS_REGION 'cn-shanghai' disagrees with region 'cn-beijing' of TOS_ENDPOINT"
                + " 'https://tos-s3-cn-beijing.volces.com:%d'; unset TOS_REGION or give an endpoint in region cn-shanghai"),
        Arguments.of(
            (IntFunction<Map<String, String>>)
                port -> tos.env("ftp://tos-s3-cn-beijing.volces.com:" + port),
            List.of(),
            "TOS_ENDPOINT 'ftp://tos-s3-cn-beijing.volces.com:%d' uses scheme 'ftp'; an S3 endpoint is"
                + " https://host (or http://host for a local test server)"),
        Arguments.of(
            (IntFunction<Map<String, String>>)
                port -> tos.env("https://tos-s3-cn-beijing.volces.com:" + port),
            List.of("--addressing", "path"),
            "path-style addressing was requested for TOS endpoint"
                + " 'https://tos-s3-cn-beijing.volces.com:%d', but TOS refuses path-style requests (403"
                + " InvalidPathAccess); drop the path-style setting"));
  }

  @ParameterizedTest
  @MethodSource("refusals")
  void refusedConfigurationExitsTwoWithOneLineSendsNothingAndWritesNothing(
      IntFunction<Map<String, String>> env, List<String> args, String message) throws IOException {
    int port = tos.port();
    int storeBefore = tos.storeCalls();
    int nativeBefore = tos.nativeRequests();

    Cli cli = run(env.apply(port), args.toArray(String[]::new));

    assertEquals(2, cli.status(), cli.toString());
    assertEquals("", cli.out());
    assertEquals("model-prefetch: " + message.formatted(port) + "\n", cli.err());
    assertEquals(storeBefore, tos.storeCalls(), "S3Proxy served no request");
    assertEquals(nativeBefore, tos.nativeRequests(), "the native endpoint got no request");
    assertFalse(Files.exists(dest.resolve("llama")), "nothing written");
  }

  Cli run(Map<String, String> env, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "tos://" + BUCKET + "/" + PREFIX,
                "--part-size",
                "1MiB",
                "--part-threshold",
                "2MiB"));
    all.addAll(List.of(args));
    return Cli.run(env, all.toArray(String[]::new));
  }

  /**
   * An S3 client that uses {@code endpoint} as it is, with virtual-hosted addressing, as TOS needs.
   */
  static S3Client verbatimClient(String endpoint) {
    return S3Client.builder()
        .httpClientBuilder(
            ApacheHttpClient.builder()
                .tlsTrustManagersProvider(() -> TestPki.trustOnly(tos.caPem())))
        .endpointOverride(URI.create(endpoint))
        .region(Region.of(TosEmulator.REGION))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(() -> AwsBasicCredentials.create(tos.accessKey(), tos.secretKey()))
        .build();
  }
}
