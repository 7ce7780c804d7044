package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Volcano Engine TOS on 127.0.0.1 with real TLS and real host names, for the TOS tests.
 *
 * <ul>
 *   <li>The S3-compatible endpoint {@code tos-s3-cn-beijing.volces.com}: S3Proxy over HTTPS with
 *       virtual-host addressing, on port {@link #port()}. Its certificate, signed by a CA made for
 *       the test ({@link #caPem()}), names exactly {@code *.tos-s3-cn-beijing.volces.com}, {@code
 *       tos-s3-cn-beijing.volces.com}, {@code *.tos-cn-beijing.volces.com} and {@code
 *       tos-cn-beijing.volces.com}, like the real one.
 *   <li>The native endpoint {@code tos-cn-beijing.volces.com}: a small HTTPS server on its own port
 *       {@link #nativePort()} that answers every request with HTTP 400 and an S3-style XML error,
 *       as the native endpoint answers S3-signed requests, and counts them. Its certificate carries
 *       the same names plus {@value #NATIVE_ALIAS}, a name the endpoint resolver does not rewrite,
 *       so a test can reach the native role without the resolver redirecting it.
 * </ul>
 *
 * <p>The names resolve to 127.0.0.1 only inside the test JVM, through {@code
 * src/test/resources/test-hosts} ({@code -Djdk.net.hosts.file}, set by failsafe). A resolver
 * rewrite keeps the port, so the broken endpoint forms a run is given use S3Proxy's port: the
 * native host name at that port then means "the resolver did not fix this", since only S3Proxy
 * listens there.
 */
final class TosEmulator implements AutoCloseable {

  static final String REGION = "cn-beijing";
  static final String S3_HOST = "tos-s3-cn-beijing.volces.com";
  static final String NATIVE_HOST = "tos-cn-beijing.volces.com";
  static final String NATIVE_ALIAS = "native-tos.test";
  static final String CA_NAME = "model-prefetch TOS test CA";
  static final String[] TOS_NAMES = {
    "dns:*.tos-s3-cn-beijing.volces.com", "dns:tos-s3-cn-beijing.volces.com",
    "dns:*.tos-cn-beijing.volces.com", "dns:tos-cn-beijing.volces.com"
  };

  /** What the native endpoint answers; the status is what matters, the body is illustrative. */
  static final String NATIVE_ERROR =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
          + "<Message>native endpoint: use the S3 endpoint for S3 requests</Message><RequestId>test</RequestId></Error>";

  private final TestPki pki;
  private final S3Proxy proxy;
  private final HttpsServer nativeServer;
  private final AtomicInteger storeCalls;
  private final AtomicInteger nativeRequests;
  private final String accessKey;
  private final String secretKey;
  private final S3Client admin;

  private TosEmulator(
      TestPki pki,
      S3Proxy proxy,
      HttpsServer nativeServer,
      AtomicInteger storeCalls,
      AtomicInteger nativeRequests,
      String accessKey,
      String secretKey) {
    this.pki = pki;
    this.proxy = proxy;
    this.nativeServer = nativeServer;
    this.storeCalls = storeCalls;
    this.nativeRequests = nativeRequests;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.admin =
        S3Client.builder()
            .httpClientBuilder(
                ApacheHttpClient.builder()
                    .tlsTrustManagersProvider(() -> TestPki.trustOnly(caPem())))
            .endpointOverride(URI.create("https://" + S3_HOST + ":" + port()))
            .region(Region.of(REGION))
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(() -> AwsBasicCredentials.create(accessKey, secretKey))
            .build();
  }

  /**
   * The CA and the two server certificates, made once per JVM: keytool runs are the slow part of
   * set-up.
   */
  private record Certificates(TestPki pki, Path tosKeys, Path nativeKeys) {}

  private static Certificates certificates;

  private static synchronized Certificates certificates() throws Exception {
    if (certificates == null) {
      Path dir = Files.createTempDirectory("tos-emulator-pki-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir)));
      TestPki pki = TestPki.create(dir, CA_NAME);
      Path tosKeys = pki.issue("tos", S3_HOST, TOS_NAMES);
      String[] nativeNames = Arrays.copyOf(TOS_NAMES, TOS_NAMES.length + 1);
      nativeNames[TOS_NAMES.length] = "dns:" + NATIVE_ALIAS;
      certificates = new Certificates(pki, tosKeys, pki.issue("native", NATIVE_HOST, nativeNames));
    }
    return certificates;
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary folder of test certificates is harmless.
    }
  }

  /**
   * Starts both servers; files of the store live under {@code dir}; the certificates are shared per
   * JVM.
   */
  static TosEmulator start(Path dir) throws Exception {
    Certificates certificates = certificates();
    TestPki pki = certificates.pki();
    Path tosKeys = certificates.tosKeys();
    Path nativeKeys = certificates.nativeKeys();

    Path data = Files.createDirectories(dir.resolve("data"));
    AtomicInteger storeCalls = new AtomicInteger();
    String accessKey = "tos-" + TestPki.randomHex(6);
    String secretKey = TestPki.randomHex(20);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(counting(new FilesystemNio2BlobStore(data.toString()), storeCalls))
            .secureEndpoint(URI.create("https://127.0.0.1:0"))
            .keyStore(tosKeys.toString(), pki.password())
            .virtualHost(S3_HOST)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .v4MaxNonChunkedRequestSize(1L << 30)
            .stopTimeout(0) // clients keep idle connections; stop without waiting for them
            .build();
    proxy.start();
    assertTrue(
        proxy.getSecurePort() > 0, "S3Proxy bound no HTTPS port (state " + proxy.getState() + ")");

    AtomicInteger nativeRequests = new AtomicInteger();
    HttpsServer nativeServer = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    nativeServer.setHttpsConfigurator(new HttpsConfigurator(pki.serverContext(nativeKeys)));
    nativeServer.createContext(
        "/",
        exchange -> {
          nativeRequests.incrementAndGet();
          try (InputStream body = exchange.getRequestBody()) {
            body.readAllBytes();
          }
          byte[] error = NATIVE_ERROR.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/xml");
          boolean head = exchange.getRequestMethod().equals("HEAD");
          exchange.sendResponseHeaders(400, head ? -1 : error.length);
          if (!head) {
            exchange.getResponseBody().write(error);
          }
          exchange.close();
        });
    nativeServer.start();
    return new TosEmulator(
        pki, proxy, nativeServer, storeCalls, nativeRequests, accessKey, secretKey);
  }

  /**
   * A blob store that counts every call S3Proxy makes on it, so a test can tell that none was made.
   */
  private static BlobStore counting(BlobStore store, AtomicInteger calls) {
    InvocationHandler handler =
        (p, method, args) -> {
          calls.incrementAndGet();
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
    return (BlobStore)
        Proxy.newProxyInstance(
            BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class}, handler);
  }

  /** S3Proxy's HTTPS port, the port of every TOS endpoint form a run is given. */
  int port() {
    return proxy.getSecurePort();
  }

  /** The native server's HTTPS port. */
  int nativePort() {
    return nativeServer.getAddress().getPort();
  }

  /** The test CA as PEM: the value of {@code AWS_CA_BUNDLE}. */
  Path caPem() {
    return pki.caPem();
  }

  /**
   * Calls S3Proxy made on its store: it makes some for every request that passes authentication.
   */
  int storeCalls() {
    return storeCalls.get();
  }

  /** Requests the native server answered. */
  int nativeRequests() {
    return nativeRequests.get();
  }

  String accessKey() {
    return accessKey;
  }

  String secretKey() {
    return secretKey;
  }

  /** A client with full access through the S3 endpoint, for seeding objects. */
  S3Client admin() {
    return admin;
  }

  /** The environment of a tos:// run: endpoint, region, keys and the test CA. */
  Map<String, String> env(String endpoint) {
    Map<String, String> env = new HashMap<>();
    env.put("TOS_ENDPOINT", endpoint);
    env.put("TOS_REGION", REGION);
    env.put("TOS_ACCESS_KEY", accessKey);
    env.put("TOS_SECRET_KEY", secretKey);
    env.put("AWS_CA_BUNDLE", caPem().toString());
    return env;
  }

  @Override
  public void close() throws Exception {
    admin.close();
    nativeServer.stop(0);
    proxy.stop();
  }
}
