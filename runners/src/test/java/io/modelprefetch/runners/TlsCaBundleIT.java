package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.runners.demo.DemoModel;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * TLS trust follows {@code AWS_CA_BUNDLE}: against an S3Proxy on https://127.0.0.1 whose
 * certificate is signed by a CA made for this test (so no JVM default trusts it), the command line
 * fetches the model when the environment points at the CA's PEM file and fails the listing without
 * it.
 */
class TlsCaBundleIT {

  static final String BUCKET = "tls-models";
  static final String PREFIX = "secure/";
  static final String REGION = "us-east-1";

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("tokenizer.json", 0),
          DemoModel.File.single("model.safetensors", 3 * DemoModel.MIB),
          DemoModel.File.single("original/params.bin", 64 * 1024 + 3));

  @TempDir static Path serverDir;
  static Path caPem;
  static S3Proxy proxy;
  static S3Client admin;
  static String accessKey;
  static String secretKey;
  static Map<String, String> sourceDigests;

  @TempDir Path dest;

  @BeforeAll
  static void startHttpsServer() throws Exception {
    TestPki pki = TestPki.create(serverDir.resolve("pki"), "model-prefetch TlsCaBundleIT CA");
    Path serverKeyStore = pki.issue("server", "localhost", "dns:localhost", "ip:127.0.0.1");
    caPem = pki.caPem();

    Path data = Files.createDirectories(serverDir.resolve("data"));
    accessKey = "tls-" + TestPki.randomHex(6);
    secretKey = TestPki.randomHex(20);
    proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(data.toString()))
            .secureEndpoint(URI.create("https://127.0.0.1:0"))
            .keyStore(serverKeyStore.toString(), pki.password())
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .v4MaxNonChunkedRequestSize(1L << 30)
            .build();
    proxy.start();
    assertTrue(
        proxy.getSecurePort() > 0, "S3Proxy bound no HTTPS port (state " + proxy.getState() + ")");

    admin =
        S3Client.builder()
            .httpClientBuilder(
                ApacheHttpClient.builder().tlsTrustManagersProvider(() -> TestPki.trustOnly(caPem)))
            .endpointOverride(endpoint())
            .region(Region.of(REGION))
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(() -> AwsBasicCredentials.create(accessKey, secretKey))
            .build();
    sourceDigests = DemoModel.upload(admin, BUCKET, PREFIX, MODEL);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (proxy != null) {
      proxy.stop();
    }
  }

  @Test
  void caBundleInEnvironmentIsTrustedAndModelLandsByteIdentical() throws IOException {
    Map<String, String> env = env();
    env.put("AWS_CA_BUNDLE", caPem.toString());

    Cli cli = fetch(env);

    assertEquals(0, cli.status(), cli.toString());
    Path model = dest.resolve("secure");
    assertEquals(model + "\n", cli.out());
    assertEquals(sourceDigests, PrefetchIT.digests(model));
    assertTrue(cli.err().contains("4 object(s): 4 verified"), cli.err());
    assertEquals(List.of(), PrefetchIT.leftovers(model), "no temporary file remains");
  }

  @Test
  void withoutCaBundleListingFailsOnUntrustedCertificateAndWritesNothing() throws IOException {
    Cli cli = fetch(env());

    assertEquals(1, cli.status(), cli.toString());
    assertEquals("", cli.out());
    String uri = "s3://" + BUCKET + "/" + PREFIX;
    assertTrue(
        cli.err()
            .contains(
                "FAILED "
                    + uri
                    + ": listing failed: "
                    + uri
                    + ": Unable to execute HTTP request:"
                    + " PKIX path building failed: "),
        cli.toString());
    assertTrue(
        cli.err().contains("unable to find valid certification path to requested target"),
        cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "; the server's certificate is not trusted: set AWS_CA_BUNDLE to a PEM file of its CA"),
        cli.toString());
    assertTrue(cli.err().contains("1 model(s), 0 object(s): 0 verified"), cli.toString());
    assertEquals(
        List.of(), regularFiles(dest.resolve("secure")), "nothing is written for the model");
  }

  Cli fetch(Map<String, String> env) {
    return Cli.run(
        env,
        "--local-dir",
        dest.toString(),
        "--model-uri",
        "s3://" + BUCKET + "/" + PREFIX,
        "--part-size",
        "1MiB",
        "--part-threshold",
        "2MiB");
  }

  /** The endpoint by name, so the client checks the certificate's DNS name as well as its chain. */
  static URI endpoint() {
    return URI.create("https://localhost:" + proxy.getSecurePort());
  }

  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ENDPOINT_URL", endpoint().toString());
    env.put("AWS_REGION", REGION);
    env.put("AWS_ACCESS_KEY_ID", accessKey);
    env.put("AWS_SECRET_ACCESS_KEY", secretKey);
    return env;
  }

  static List<Path> regularFiles(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
