package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.modelprefetch.runners.demo.DemoModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code prefetch doctor} against TOS emulated on 127.0.0.1 ({@link TosEmulator}), compared line by
 * line with golden text in which only the random ports are replaced ({@code <port>} for S3Proxy,
 * {@code <native-port>} for the native server). The broken endpoint forms carry S3Proxy's port, so
 * the doctor shows the resolver's rewrite and passes. The native role is reached through {@value
 * TosEmulator#NATIVE_ALIAS}, a name the resolver leaves alone, as a private alias of the native
 * endpoint would be.
 */
class TosDoctorIT {

  static final String BUCKET = "mybucket";
  static final String URI = "tos://mybucket/llama/";
  static final String CERTIFICATE =
      "[*.tos-s3-cn-beijing.volces.com, tos-s3-cn-beijing.volces.com,"
          + " *.tos-cn-beijing.volces.com, tos-cn-beijing.volces.com] issued by CN="
          + TosEmulator.CA_NAME;

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("generation_config.json", 0),
          DemoModel.File.single("model.safetensors", 1024 * 1024 + 5),
          DemoModel.File.single("original/params.bin", 4099),
          DemoModel.File.single("tokenizer.json", 0),
          DemoModel.File.single("tokenizer_config.json", 0));

  @TempDir static Path serverDir;
  static TosEmulator tos;

  @BeforeAll
  static void startTos() throws Exception {
    tos = TosEmulator.start(serverDir);
    DemoModel.upload(tos.admin(), BUCKET, "llama/", MODEL);
  }

  @AfterAll
  static void stopTos() throws Exception {
    if (tos != null) {
      tos.close();
    }
  }

  /** The lines after the endpoint line when every check passes. */
  static List<String> passingChecks() {
    return List.of(
        "OK   dns: mybucket.tos-s3-cn-beijing.volces.com resolves to 127.0.0.1",
        "OK   tcp: connected to mybucket.tos-s3-cn-beijing.volces.com (127.0.0.1) port <port>",
        "OK   tls: TLSv1.3, the certificate "
            + CERTIFICATE
            + " covers mybucket.tos-s3-cn-beijing.volces.com"
            + " and is trusted by the JVM's CAs and AWS_CA_BUNDLE",
        "OK   request: ListObjectsV2 on tos://mybucket answered HTTP 200 (signed for region cn-beijing)",
        "OK   objects: first 5 objects under tos://mybucket/llama/: config.json ("
            + size("config.json")
            + " bytes), generation_config.json ("
            + size("generation_config.json")
            + " bytes), model.safetensors"
            + " (1048581 bytes), original/params.bin (4099 bytes), tokenizer.json ("
            + size("tokenizer.json")
            + " bytes)",
        "doctor: every check passed for tos://mybucket/llama/");
  }

  @Test
  void goodEndpointPassesEveryCheckAndPrintsNoSecret() {
    Cli cli = doctor(tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port()));

    List<String> expected = new ArrayList<>();
    expected.add(
        "OK   endpoint: https://tos-s3-cn-beijing.volces.com:<port>, region cn-beijing, virtual-hosted"
            + " addressing (used as given)");
    expected.addAll(passingChecks());
    assertEquals(0, cli.status(), cli.toString());
    assertEquals(expected, lines(cli.out()));
    assertEquals("", cli.err());
    assertFalse(cli.toString().contains(tos.secretKey()), "the secret key is never printed");
  }

  static Stream<Arguments> brokenForms() {
    return Stream.of(
        Arguments.of(
            "https://mybucket.tos-cn-beijing.volces.com:<port>",
            "is the native, bucket-qualified endpoint"),
        Arguments.of("https://tos-cn-beijing.volces.com:<port>", "is the native endpoint"),
        Arguments.of("tos-s3-cn-beijing.volces.com:<port>", "has no scheme"),
        Arguments.of(
            "https://mybucket.tos-s3-cn-beijing.volces.com:<port>",
            "is the bucket-qualified endpoint"));
  }

  @ParameterizedTest
  @MethodSource("brokenForms")
  void brokenFormIsRewrittenShownAndPasses(String form, String what) {
    int nativeBefore = tos.nativeRequests();

    Cli cli = doctor(tos.env(form.replace("<port>", String.valueOf(tos.port()))));

    List<String> expected = new ArrayList<>();
    expected.add(
        "OK   endpoint: TOS_ENDPOINT "
            + form
            + " "
            + what
            + "; using https://tos-s3-cn-beijing.volces.com:<port>,"
            + " region cn-beijing, virtual-hosted addressing");
    expected.addAll(passingChecks());
    assertEquals(0, cli.status(), cli.toString());
    assertEquals(expected, lines(cli.out()));
    assertEquals(nativeBefore, tos.nativeRequests(), "the native endpoint got no request");
  }

  @Test
  void configFileGivesEndpointAndRegionAndTheRewriteNamesIt(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cluster.yaml");
    Files.writeString(
        config,
        "tos: {endpoint: \"https://mybucket.tos-cn-beijing.volces.com:"
            + tos.port()
            + "\", region: cn-beijing}\n");
    Map<String, String> env = tos.env(null);
    env.remove("TOS_ENDPOINT");
    env.remove("TOS_REGION");

    Cli cli = Cli.run(env, "doctor", "--model-uri", URI, "--config", config.toString());

    List<String> expected = new ArrayList<>();
    expected.add(
        "OK   endpoint: --config tos.endpoint https://mybucket.tos-cn-beijing.volces.com:<port> is the native,"
            + " bucket-qualified endpoint; using https://tos-s3-cn-beijing.volces.com:<port>, region cn-beijing,"
            + " virtual-hosted addressing");
    expected.addAll(passingChecks());
    assertEquals(0, cli.status(), cli.toString());
    assertEquals(expected, lines(cli.out()));
  }

  @Test
  void nativeEndpointAnsweringHttp400IsExplained() {
    int nativeBefore = tos.nativeRequests();
    Map<String, String> env =
        tos.env("https://" + TosEmulator.NATIVE_ALIAS + ":" + tos.nativePort());

    Cli cli = doctor(env);

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(
        List.of(
            "OK   endpoint: https://native-tos.test:<native-port>, region cn-beijing, path-style addressing (used as given)",
            "OK   dns: native-tos.test resolves to 127.0.0.1",
            "OK   tcp: connected to native-tos.test (127.0.0.1) port <native-port>",
            "OK   tls: TLSv1.3, the certificate [*.tos-s3-cn-beijing.volces.com, tos-s3-cn-beijing.volces.com,"
                + " *.tos-cn-beijing.volces.com, tos-cn-beijing.volces.com, native-tos.test] issued by CN="
                + TosEmulator.CA_NAME
                + " covers native-tos.test and is trusted by the JVM's CAs and AWS_CA_BUNDLE",
            "FAIL request: ListObjectsV2: tos://mybucket: HTTP 400 InvalidArgument (native endpoint: use the S3 endpoint"
                + " for S3 requests)",
            "     fix: the endpoint does not accept S3 requests; the native TOS endpoint tos-<region>.volces.com answers"
                + " them with HTTP 400: use the S3 endpoint tos-s3-<region>.volces.com",
            "SKIP objects: not checked because request failed",
            "doctor: tos://mybucket/llama/ is not reachable: request failed"),
        lines(cli.out()));
    assertEquals(
        nativeBefore + 1, tos.nativeRequests(), "one signed request reached the native endpoint");
  }

  @Test
  void wrongSecretKeyIsNamedAndNeverPrinted() {
    String secret = "Wr0ngDoctorSecret-5d1e7a";
    Map<String, String> env = tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port());
    env.put("TOS_SECRET_KEY", secret);

    Cli cli = doctor(env);

    assertEquals(1, cli.status(), cli.toString());
    List<String> out = lines(cli.out());
    assertEquals(
        List.of(
            "FAIL request: ListObjectsV2: tos://mybucket: HTTP 403 SignatureDoesNotMatch (The request signature we"
                + " calculated does not match the signature you provided. Check your key and signing method.)",
            "     fix: the access key or secret key is wrong",
            "SKIP objects: not checked because request failed",
            "doctor: tos://mybucket/llama/ is not reachable: request failed"),
        out.subList(4, out.size()));
    assertFalse(cli.toString().contains(secret), "the secret key is never printed");
  }

  @Test
  void unknownBucketIsNamed() {
    Cli cli =
        doctor(
            tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port()),
            "tos://missing-bucket/llama/");

    assertEquals(1, cli.status(), cli.toString());
    List<String> out = lines(cli.out());
    assertEquals(
        List.of(
            "OK   dns: missing-bucket.tos-s3-cn-beijing.volces.com resolves to 127.0.0.1",
            "OK   tcp: connected to missing-bucket.tos-s3-cn-beijing.volces.com (127.0.0.1) port <port>",
            "OK   tls: TLSv1.3, the certificate "
                + CERTIFICATE
                + " covers missing-bucket.tos-s3-cn-beijing.volces.com"
                + " and is trusted by the JVM's CAs and AWS_CA_BUNDLE",
            "FAIL request: ListObjectsV2: bucket of tos://missing-bucket does not exist (NoSuchBucket)",
            "     fix: check the bucket name and the endpoint's region",
            "SKIP objects: not checked because request failed",
            "doctor: tos://missing-bucket/llama/ is not reachable: request failed"),
        out.subList(1, out.size()));
  }

  @Test
  void untrustedCertificateFailsTlsAndNamesAwsCaBundle() {
    int storeBefore = tos.storeCalls();
    Map<String, String> env = tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port());
    env.remove("AWS_CA_BUNDLE");

    Cli cli = doctor(env);

    assertEquals(1, cli.status(), cli.toString());
    List<String> out = lines(cli.out());
    assertEquals(
        List.of(
            "FAIL tls: the certificate "
                + CERTIFICATE
                + " is not trusted by the JVM's CAs (PKIX path building failed:"
                + " sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path"
                + " to requested target)",
            "     fix: the server's certificate is not trusted: set AWS_CA_BUNDLE to a PEM file of its CA",
            "SKIP request: not checked because tls failed",
            "SKIP objects: not checked because tls failed",
            "doctor: tos://mybucket/llama/ is not reachable: tls failed"),
        out.subList(3, out.size()));
    assertEquals(storeBefore, tos.storeCalls(), "no signed request was sent");
  }

  @Test
  void unresolvableHostFailsDnsAndSkipsTheRest() {
    Cli cli =
        Cli.run(
            tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port()),
            "doctor",
            "--model-uri",
            URI,
            "--endpoint",
            "https://no-such-endpoint.test:" + tos.port());

    assertEquals(1, cli.status(), cli.toString());
    List<String> out = lines(cli.out());
    assertEquals(
        List.of(
            "OK   endpoint: https://no-such-endpoint.test:<port>, region cn-beijing, path-style addressing (used as given)",
            "FAIL dns: cannot resolve no-such-endpoint.test (Unable to resolve host no-such-endpoint.test in hosts file "
                + System.getProperty("jdk.net.hosts.file")
                + ")",
            "     fix: check the endpoint's host name and this machine's DNS; with virtual-hosted addressing the bucket's"
                + " own name <bucket>.<endpoint host> must resolve too",
            "SKIP tcp: not checked because dns failed",
            "SKIP tls: not checked because dns failed",
            "SKIP request: not checked because dns failed",
            "SKIP objects: not checked because dns failed",
            "doctor: tos://mybucket/llama/ is not reachable: dns failed"),
        out);
  }

  @Test
  void regionConflictIsBadInputWithOneLine() {
    Map<String, String> env = tos.env("https://tos-s3-cn-beijing.volces.com:" + tos.port());
    env.put("TOS_REGION", "cn-shanghai");

    Cli cli = doctor(env);

    assertEquals(2, cli.status(), cli.toString());
    assertEquals("", cli.out());
    assertEquals(
        "model-prefetch: TOS_REGION 'cn-shanghai' disagrees with region 'cn-beijing' of TOS_ENDPOINT"
            + " 'https://tos-s3-cn-beijing.volces.com:"
            + tos.port()
            + "'; unset TOS_REGION or give an endpoint in region"
            + " cn-shanghai\n",
        cli.err());
  }

  static Cli doctor(Map<String, String> env) {
    return doctor(env, URI);
  }

  static Cli doctor(Map<String, String> env, String uri) {
    return Cli.run(env, "doctor", "--model-uri", uri);
  }

  /**
   * The output's lines with the random ports replaced by {@code <port>} and {@code <native-port>}.
   */
  static List<String> lines(String out) {
    return out.replace(":" + tos.port(), ":<port>")
        .replace("port " + tos.port(), "port <port>")
        .replace(":" + tos.nativePort(), ":<native-port>")
        .replace("port " + tos.nativePort(), "port <native-port>")
        .lines()
        .toList();
  }

  static int size(String relativePath) {
    return DemoModel.content(DemoModel.File.single(relativePath, 0)).length;
  }
}
