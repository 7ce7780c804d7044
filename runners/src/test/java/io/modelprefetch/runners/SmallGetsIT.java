package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.s3.InProcessCredentials;
import io.modelprefetch.transforms.s3.RangeSource;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.s3.SmallGets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The contract of a {@link RangeSource}, which both sources pass: {@link SmallGets} (the JDK's HTTP
 * client) and the SDK's client for fetches ({@link RangeSource#sdk}), against real servers: S3Proxy
 * over HTTP with path-style addressing, and the TOS emulator over HTTPS with virtual-hosted
 * addressing and a CA bundle. Every answer, bytes, response facts or error, must be what the SDK's
 * own GET of the same range gives.
 */
class SmallGetsIT {

  /** The sources under contract. */
  enum Source {
    JDK,
    SDK
  }

  static final String BUCKET = "small";
  static final List<String> KEYS =
      List.of(
          "config.json",
          "dir/with space+plus=eq&at@.bin",
          "unicode/модель-é.json",
          "deep/a/b/c/tokenizer.model");

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static byte[] content;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    server.admin().createBucket(b -> b.bucket(BUCKET));
    content = new byte[300_000];
    new Random(11).nextBytes(content);
    for (String key : KEYS) {
      server.admin().putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(content));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** The recipes whose fetch client a test acquired, released after it. */
  private final List<ClientRecipe> acquired = new ArrayList<>();

  @AfterEach
  void releaseClients() {
    acquired.forEach(S3Clients::releaseForFetch);
  }

  /**
   * {@code source} for {@code recipe}: its small GETs, or a source over the recipe's client for
   * fetches (one attempt per call, as the engine's).
   */
  RangeSource open(Source source, ClientRecipe recipe) {
    return switch (source) {
      case JDK -> SmallGets.of(recipe);
      case SDK -> {
        acquired.add(recipe);
        yield RangeSource.sdk(S3Clients.acquireForFetch(recipe));
      }
    };
  }

  static ClientRecipe recipe(
      String endpoint,
      String region,
      boolean pathStyle,
      String accessKey,
      String secretKey,
      String caBundle) {
    CredentialsSource keys =
        InProcessCredentials.register(
            "small-gets-" + UUID.randomUUID(), accessKey, secretKey, null);
    return new ClientRecipe(endpoint, region, pathStyle, true, keys, caBundle, 8);
  }

  static ClientRecipe pathStyle(String secretKey) {
    return recipe(
        server.endpoint().toString(), EmbeddedS3.REGION, true, server.accessKey(), secretKey, null);
  }

  static byte[] read(RangeSource.Response response) throws IOException {
    try (response;
        InputStream in = response.body()) {
      return in.readAllBytes();
    }
  }

  static byte[] sdkGet(S3Client s3, String bucket, String key, String etag, long first, long last) {
    return s3.getObjectAsBytes(
            b -> b.bucket(bucket).key(key).ifMatch(etag).range("bytes=" + first + "-" + last))
        .asByteArray();
  }

  @ParameterizedTest
  @EnumSource(Source.class)
  void everyRangeOfEveryKeyIsTheSdksBytes(Source source) throws IOException {
    ClientRecipe recipe = pathStyle(server.secretKey());
    S3Client s3 = S3Clients.build(recipe);
    RangeSource gets = open(source, recipe);
    assertNotNull(gets, "no proxy is configured here");
    for (String key : KEYS) {
      String etag = s3.headObject(b -> b.bucket(BUCKET).key(key)).eTag();
      for (long[] range :
          new long[][] {
            {0, content.length - 1},
            {0, 0},
            {1000, 70_000},
            {content.length - 5, content.length - 1}
          }) {
        RangeSource.Response response =
            gets.get(BUCKET, key, etag, range[0] + "-" + range[1], false);
        assertEquals(range[1] - range[0] + 1, response.contentLength(), key);
        assertEquals(206, response.status(), key);
        assertEquals(
            "bytes " + range[0] + "-" + range[1] + "/" + content.length,
            response.contentRange(),
            key);
        assertEquals(etag, response.header("ETag"), key);
        byte[] bytes = read(response);
        assertArrayEquals(
            sdkGet(s3, BUCKET, key, etag, range[0], range[1]),
            bytes,
            key + " " + range[0] + "-" + range[1]);
        assertArrayEquals(
            java.util.Arrays.copyOfRange(content, (int) range[0], (int) range[1] + 1), bytes);
      }
    }
    s3.close();
  }

  @ParameterizedTest
  @EnumSource(Source.class)
  void wholeObjectAnswersAreTheSdksFacts(Source source) throws IOException {
    ClientRecipe recipe = pathStyle(server.secretKey());
    S3Client s3 = S3Clients.build(recipe);
    RangeSource gets = open(source, recipe);
    String etag = s3.headObject(b -> b.bucket(BUCKET).key("config.json")).eTag();
    var sdk =
        s3.getObject(
            b ->
                b.bucket(BUCKET)
                    .key("config.json")
                    .ifMatch(etag)
                    .overrideConfiguration(o -> o.putHeader("x-amz-checksum-mode", "ENABLED")));
    sdk.abort();
    RangeSource.Response response = gets.get(BUCKET, "config.json", etag, null, true);
    assertEquals(200, response.status());
    assertNull(response.contentRange());
    assertEquals(content.length, response.contentLength());
    assertEquals(etag, response.header("ETag"));
    for (String header :
        List.of(
            "ETag",
            "Content-MD5",
            "x-amz-checksum-crc32",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha256")) {
      assertEquals(
          sdk.response().sdkHttpResponse().firstMatchingHeader(header).orElse(null),
          response.header(header),
          header);
    }
    assertArrayEquals(content, read(response));
    s3.close();
  }

  @ParameterizedTest
  @EnumSource(Source.class)
  void errorAnswersAreTheExceptionsTheSdkRaises(Source source) {
    ClientRecipe recipe = pathStyle(server.secretKey());
    S3Client s3 = S3Clients.build(recipe);
    RangeSource gets = open(source, recipe);
    String etag = s3.headObject(b -> b.bucket(BUCKET).key("config.json")).eTag();

    S3Exception missing =
        assertThrows(S3Exception.class, () -> gets.get(BUCKET, "absent.json", null, "0-9", false));
    assertInstanceOf(NoSuchKeyException.class, missing);
    assertSameError(
        assertThrows(S3Exception.class, () -> sdkGet(s3, BUCKET, "absent.json", null, 0, 9)),
        missing);

    S3Exception changed =
        assertThrows(
            S3Exception.class,
            () ->
                gets.get(
                    BUCKET, "config.json", "\"0123456789abcdef0123456789abcdef\"", "0-9", false));
    assertEquals(412, changed.statusCode());
    assertSameError(
        assertThrows(
            S3Exception.class,
            () -> sdkGet(s3, BUCKET, "config.json", "\"0123456789abcdef0123456789abcdef\"", 0, 9)),
        changed);

    ClientRecipe wrongKey = pathStyle("not-the-secret");
    S3Client wrong = S3Clients.build(wrongKey);
    S3Exception denied =
        assertThrows(
            S3Exception.class,
            () -> open(source, wrongKey).get(BUCKET, "config.json", etag, "0-9", false));
    assertEquals(403, denied.statusCode());
    assertSameError(
        assertThrows(S3Exception.class, () -> sdkGet(wrong, BUCKET, "config.json", etag, 0, 9)),
        denied);
    wrong.close();

    ClientRecipe anonymous =
        new ClientRecipe(
            server.endpoint().toString(),
            EmbeddedS3.REGION,
            true,
            true,
            CredentialsSource.of(CredentialsSource.Type.ANONYMOUS),
            null,
            8);
    S3Client unsigned = S3Clients.build(anonymous);
    S3Exception refused =
        assertThrows(
            S3Exception.class,
            () -> open(source, anonymous).get(BUCKET, "config.json", etag, "0-9", false));
    assertEquals(403, refused.statusCode());
    assertSameError(
        assertThrows(S3Exception.class, () -> sdkGet(unsigned, BUCKET, "config.json", etag, 0, 9)),
        refused);
    unsigned.close();
    s3.close();
  }

  static void assertSameError(S3Exception sdk, S3Exception small) {
    assertEquals(sdk.getClass(), small.getClass());
    assertEquals(sdk.statusCode(), small.statusCode());
    assertEquals(sdk.awsErrorDetails().errorCode(), small.awsErrorDetails().errorCode());
    assertEquals(sdk.awsErrorDetails().errorMessage(), small.awsErrorDetails().errorMessage());
    assertEquals(S3Errors.describe(sdk, "s3://small/k"), S3Errors.describe(small, "s3://small/k"));
    assertEquals(S3Errors.isRetryable(sdk), S3Errors.isRetryable(small));
  }

  @ParameterizedTest
  @EnumSource(Source.class)
  void virtualHostedHttpsWithCaBundleIsTheSdksBytes(Source source, @TempDir Path tosDir)
      throws Exception {
    try (TosEmulator tos = TosEmulator.start(tosDir)) {
      tos.admin().createBucket(b -> b.bucket("mybucket"));
      tos.admin()
          .putObject(
              b -> b.bucket("mybucket").key("models/config.json"), RequestBody.fromBytes(content));
      ClientRecipe recipe =
          recipe(
              "https://" + TosEmulator.S3_HOST + ":" + tos.port(),
              TosEmulator.REGION,
              false,
              tos.accessKey(),
              tos.secretKey(),
              tos.caPem().toString());
      S3Client s3 = S3Clients.build(recipe);
      String etag = s3.headObject(b -> b.bucket("mybucket").key("models/config.json")).eTag();
      byte[] bytes =
          read(
              open(source, recipe).get("mybucket", "models/config.json", etag, "10-200009", false));
      assertArrayEquals(sdkGet(s3, "mybucket", "models/config.json", etag, 10, 200_009), bytes);
      assertArrayEquals(java.util.Arrays.copyOfRange(content, 10, 200_010), bytes);

      // An endpoint that already holds the bucket: the host contacted is not on the certificate.
      ClientRecipe doubled =
          recipe(
              "https://mybucket." + TosEmulator.S3_HOST + ":" + tos.port(),
              TosEmulator.REGION,
              false,
              tos.accessKey(),
              tos.secretKey(),
              tos.caPem().toString());
      RangeSource wrongHostSource = open(source, doubled);
      Exception wrongHost =
          assertThrows(
              Exception.class,
              () -> wrongHostSource.get("mybucket", "models/config.json", etag, "0-9", false));
      // The one difference by design: the JDK's connection fails with its IOException, the SDK
      // wraps
      // it in an SdkClientException; S3Errors reads both alike, so retries, causes and messages
      // agree.
      Class<? extends Exception> raised =
          source == Source.JDK ? IOException.class : SdkClientException.class;
      assertInstanceOf(raised, wrongHost);
      assertEquals(
          S3Errors.CERTIFICATE_DOES_NOT_COVER_HOST,
          S3Errors.explain(wrongHost),
          wrongHost.toString());
      assertFalse(S3Errors.isRetryable(wrongHost));
      s3.close();
    }
  }
}
