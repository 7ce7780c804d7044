package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.http.HttpHost;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Builds S3 clients from a {@link ClientRecipe} and shares them per JVM: one client per distinct
 * recipe, reference-counted, closed when the last user releases it.
 */
public final class S3Clients {

  /** How long a connection may take to open, and a read to wait for bytes. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

  private static final Map<Key, Shared> POOL = new HashMap<>();

  /**
   * One client per recipe and purpose: fetches retry in their own loop (counted, visible in the
   * report), so their client makes one attempt per call; listings use the SDK's retries.
   */
  private record Key(ClientRecipe recipe, boolean sdkRetries) {}

  private record Shared(S3Client client, int users) {}

  private S3Clients() {}

  /** Returns the JVM's client for {@code recipe}, building it on first use. */
  public static S3Client acquire(ClientRecipe recipe) {
    return acquire(new Key(recipe, true));
  }

  /** The JVM's client for ranged GETs of {@code recipe}: one attempt per call. */
  public static S3Client acquireForFetch(ClientRecipe recipe) {
    return acquire(new Key(recipe, false));
  }

  private static synchronized S3Client acquire(Key key) {
    Shared shared = POOL.get(key);
    S3Client client = shared == null ? build(key.recipe(), key.sdkRetries()) : shared.client();
    POOL.put(key, new Shared(client, shared == null ? 1 : shared.users() + 1));
    return client;
  }

  /** Releases one use of the client for {@code recipe}; the last release closes it. */
  public static void release(ClientRecipe recipe) {
    release(new Key(recipe, true));
  }

  public static void releaseForFetch(ClientRecipe recipe) {
    release(new Key(recipe, false));
  }

  private static synchronized void release(Key key) {
    Shared shared = POOL.get(key);
    if (shared == null) {
      return;
    }
    if (shared.users() <= 1) {
      POOL.remove(key);
      shared.client().close();
    } else {
      POOL.put(key, new Shared(shared.client(), shared.users() - 1));
    }
  }

  /**
   * The clients one DoFn instance uses: one per recipe, taken from the JVM's pool on first use and
   * given back by {@link #releaseAll} in {@code @Teardown}. Safe to use from the DoFn's helper
   * threads.
   */
  public static final class Lease {
    private final boolean forFetch;
    private final Map<ClientRecipe, S3Client> clients = new ConcurrentHashMap<>();

    private Lease(boolean forFetch) {
      this.forFetch = forFetch;
    }

    /** Clients with the SDK's retries, for listings and HEADs. */
    public static Lease forListing() {
      return new Lease(false);
    }

    /** Clients that make one attempt per call, for ranged GETs (see {@link #acquireForFetch}). */
    public static Lease forFetch() {
      return new Lease(true);
    }

    public S3Client get(ClientRecipe recipe) {
      return clients.computeIfAbsent(
          recipe, forFetch ? S3Clients::acquireForFetch : S3Clients::acquire);
    }

    public void releaseAll() {
      clients.keySet().forEach(forFetch ? S3Clients::releaseForFetch : S3Clients::release);
      clients.clear();
    }
  }

  /** Builds a new client with the SDK's standard retries; callers own it. */
  public static S3Client build(ClientRecipe recipe) {
    return build(recipe, true);
  }

  private static S3Client build(ClientRecipe recipe, boolean sdkRetries) {
    ApacheHttpClient.Builder http =
        ApacheHttpClient.builder()
            .maxConnections(recipe.maxConnections())
            .connectionTimeout(CONNECT_TIMEOUT)
            .socketTimeout(SOCKET_TIMEOUT)
            .tcpKeepAlive(true);
    TrustManager[] trust = bundleTrust(recipe);
    if (trust != null) {
      http.tlsTrustManagersProvider(() -> trust);
    } else if (!usesTls(recipe)) {
      http.socketFactory(NO_TLS); // else the client builds an SSL context it never uses (~0.2 s)
    }
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(http)
            .region(Region.of(recipe.region()))
            .forcePathStyle(recipe.pathStyle())
            .credentialsProvider(credentials(recipe.credentials()));
    if (recipe.checksumWhenRequired()) {
      builder
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    if (recipe.endpoint() != null) {
      builder.endpointOverride(URI.create(recipe.endpoint()));
    }
    // One override configuration: a second call would replace the first.
    builder.overrideConfiguration(
        o -> {
          o.addExecutionInterceptor(
              new ListingAnswers()); // a 200 that is not S3's XML fails the listing
          if (!sdkRetries) {
            o.retryStrategy(AwsRetryStrategy.doNotRetry());
          }
        });
    return builder.build();
  }

  /** The TLS sockets of a client of a plain {@code http://} endpoint: none. */
  private static final ConnectionSocketFactory NO_TLS =
      new ConnectionSocketFactory() {
        @Override
        public Socket createSocket(HttpContext context) throws IOException {
          throw refused();
        }

        @Override
        public Socket connectSocket(
            int connectTimeout,
            Socket socket,
            HttpHost host,
            InetSocketAddress remoteAddress,
            InetSocketAddress localAddress,
            HttpContext context)
            throws IOException {
          throw refused();
        }

        private SSLException refused() {
          return new SSLException(
              "this client's endpoint is plain http://; it makes no TLS connection");
        }
      };

  /**
   * The trust of {@code recipe}'s CA bundle, or null when the JVM's default trust serves: no
   * bundle, or a plain {@code http://} endpoint, which never makes a TLS connection.
   */
  static TrustManager @Nullable [] bundleTrust(ClientRecipe recipe) {
    return usesTls(recipe) && recipe.caBundlePath() != null
        ? trustManagers(Path.of(recipe.caBundlePath()))
        : null;
  }

  /** False for a plain {@code http://} endpoint, which never needs the CA bundle's trust. */
  static boolean usesTls(ClientRecipe recipe) {
    return recipe.endpoint() == null || !recipe.endpoint().regionMatches(true, 0, "http://", 0, 7);
  }

  static AwsCredentialsProvider credentials(CredentialsSource source) {
    return switch (source.type()) {
      case IN_PROCESS -> {
        var credentials =
            InProcessCredentials.lookup(
                Objects.requireNonNull(source.handle(), "an in-process source has a handle"));
        yield () -> credentials;
      }
      case ANONYMOUS -> AnonymousCredentialsProvider.create();
      case AWS_DEFAULT_CHAIN -> DefaultCredentialsProvider.builder().build();
      case TOS_ENVIRONMENT -> tosEnvironment();
    };
  }

  /** TOS keys from the worker's environment; falls back to the AWS chain when they are absent. */
  private static AwsCredentialsProvider tosEnvironment() {
    String accessKey = System.getenv("TOS_ACCESS_KEY");
    String secretKey = System.getenv("TOS_SECRET_KEY");
    if (accessKey == null || accessKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
      return DefaultCredentialsProvider.builder().build();
    }
    String token = System.getenv("TOS_SECURITY_TOKEN");
    var credentials =
        token == null || token.isEmpty()
            ? AwsBasicCredentials.create(accessKey, secretKey)
            : AwsSessionCredentials.create(accessKey, secretKey, token);
    return () -> credentials;
  }

  /** Trust built per bundle path: every client of a run shares its bundle's. */
  private static final Map<Path, TrustManager[]> TRUST = new ConcurrentHashMap<>();

  /**
   * The JVM's default trust plus every certificate in a PEM bundle: the trust of every client built
   * from a recipe with {@code caBundlePath}, also used by {@code prefetch doctor}. Built once per
   * JVM and bundle.
   */
  public static TrustManager[] trustManagers(Path pemBundle) {
    return TRUST.computeIfAbsent(pemBundle.toAbsolutePath(), absolute -> readTrust(pemBundle));
  }

  private static TrustManager[] readTrust(Path pemBundle) {
    // One read: the certificate parser reads an unbuffered stream a byte per system call.
    try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(pemBundle))) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("bundle-" + i++, cert);
      }
      if (i == 0) {
        throw new IllegalArgumentException(
            "AWS_CA_BUNDLE '" + pemBundle + "' holds no PEM certificate");
      }
      TrustManagerFactory defaults =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      defaults.init((KeyStore) null);
      for (TrustManager tm : defaults.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) {
          for (X509Certificate cert : x509.getAcceptedIssuers()) {
            store.setCertificateEntry("jvm-" + i++, cert);
          }
        }
      }
      TrustManagerFactory combined =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      combined.init(store);
      return combined.getTrustManagers();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "AWS_CA_BUNDLE '" + pemBundle + "' cannot be read as PEM certificates: " + e.getMessage(),
          e);
    }
  }
}
