package io.modelprefetch.runners.demo;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server (S3Proxy) on 127.0.0.1 with a file-system store and random keys, for
 * the demo and the tests.
 */
public final class EmbeddedS3 implements AutoCloseable {

  public static final String REGION = "us-east-1";

  private final S3Proxy proxy;
  private final String accessKey;
  private final String secretKey;
  private final S3Client admin;

  private EmbeddedS3(S3Proxy proxy, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.admin =
        S3Client.builder()
            .httpClientBuilder(ApacheHttpClient.builder())
            .endpointOverride(endpoint())
            .region(Region.of(REGION))
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(() -> AwsBasicCredentials.create(accessKey, secretKey))
            .build();
  }

  /** Starts a server whose objects live under {@code dataDir} (created if missing). */
  public static EmbeddedS3 start(Path dataDir) throws Exception {
    return start(dataDir, false);
  }

  /**
   * As {@link #start(Path)}; with {@code acceptSessionTokens} the server also takes requests signed
   * with temporary credentials (S3Proxy answers 501 to an {@code x-amz-security-token} header
   * unless it ignores headers it does not know).
   */
  public static EmbeddedS3 start(Path dataDir, boolean acceptSessionTokens) throws Exception {
    Files.createDirectories(dataDir);
    return start(new FilesystemNio2BlobStore(dataDir.toString()), acceptSessionTokens);
  }

  /**
   * A server whose objects live in memory: keys whose names the file-system store cannot hold (it
   * writes each object under its key's name plus a suffix, so names near 255 bytes fail there).
   */
  public static EmbeddedS3 inMemory() throws Exception {
    return start(new TransientNio2BlobStore(), false);
  }

  private static EmbeddedS3 start(BlobStore store, boolean acceptSessionTokens) throws Exception {
    String accessKey = "demo-" + randomHex(6);
    String secretKey = randomHex(20);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .v4MaxNonChunkedRequestSize(1L << 30)
            .ignoreUnknownHeaders(acceptSessionTokens)
            .build();
    proxy.start();
    if (proxy.getPort() <= 0) {
      proxy.stop();
      throw new IllegalStateException(
          "S3Proxy did not bind a port on 127.0.0.1 (state " + proxy.getState() + ")");
    }
    return new EmbeddedS3(proxy, accessKey, secretKey);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /**
   * What a client needs in its environment to reach this server through {@code endpoint} (the
   * server itself, or a proxy in front of it): {@code AWS_ENDPOINT_URL}, {@code AWS_REGION} and the
   * keys. A mutable copy.
   */
  public Map<String, String> environment(URI endpoint) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ENDPOINT_URL", endpoint.toString());
    env.put("AWS_REGION", REGION);
    env.put("AWS_ACCESS_KEY_ID", accessKey);
    env.put("AWS_SECRET_ACCESS_KEY", secretKey);
    return env;
  }

  public Map<String, String> environment() {
    return environment(endpoint());
  }

  /** A client with full access, for seeding and changing objects. */
  public S3Client admin() {
    return admin;
  }

  @Override
  public void close() throws Exception {
    admin.close();
    proxy.stop();
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
