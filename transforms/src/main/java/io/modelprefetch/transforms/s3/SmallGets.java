package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.ClientRecipe;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.S3Utilities;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Ranged GETs of small ranges over the JDK's HTTP client, signed by the SDK's SigV4 signer.
 *
 * <p>A small range (a config or tokenizer file, one of thousands of small shards) waits on its
 * round trip, and the SDK's request pipeline (interceptors, endpoint rules, metrics, marshalling)
 * costs several times the CPU its bytes do: with thousands of small files that pipeline was most of
 * a run. These GETs go to the URL the recipe's SDK client would use (the SDK's {@code getUrl} for
 * the bucket, configured as {@link S3Clients} configures the client), with the recipe's credentials,
 * trust ({@code caBundlePath}) and the client's timeouts, over pooled keep-alive connections.
 * Failures surface as the SDK path's do: an error answer as the {@link S3Exception} the SDK raises
 * for its code ({@link NoSuchKeyException} for {@code NoSuchKey}, and so on), with its status, code
 * and message; a reset or timeout as an {@link IOException}; so retries, their causes and messages
 * are the same.
 *
 * <p>Where a proxy is configured (which the SDK's client would honour) there are none: {@link #of}
 * answers null and the SDK fetches. One difference remains: the JDK sends a GET once more by
 * itself when the connection fails before the response's headers, a retry no metric counts.
 */
public final class SmallGets {

  private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
  private static final Map<ClientRecipe, Optional<SmallGets>> BY_RECIPE = new ConcurrentHashMap<>();
  private static final List<String> PROXY_VARIABLES = List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy");
  private static final Pattern ERROR_FIELD = Pattern.compile("<(Code|Message|RequestId)>([^<]*)</\\1>");
  private static final Map<String, Class<?>> MODELED = new ConcurrentHashMap<>();

  /** Why an answer without a status line failed, in plain words. */
  static final String NOT_HTTP = "the answer is not valid HTTP (no status line): the server or a proxy in front of it"
      + " sent a Content-Length that does not match the body, or does not speak HTTP";

  static {
    // The JDK keeps 5 idle connections per server unless told otherwise; every fetch thread keeps one.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "256");
    }
  }

  private final S3Utilities urls;
  private final String region;
  private final AwsCredentialsProvider credentials;
  private final SSLSocketFactory tls; // null: the JVM's default trust
  private final Map<String, Optional<String>> bucketUrls = new ConcurrentHashMap<>();

  private SmallGets(ClientRecipe recipe) {
    // What S3Clients#build gives the client: endpoint, region, addressing and credentials.
    S3Utilities.Builder urls = S3Utilities.builder()
        .region(Region.of(recipe.region()))
        .s3Configuration(S3Configuration.builder().pathStyleAccessEnabled(recipe.pathStyle()).build());
    if (recipe.endpoint() != null) {
      urls.endpoint(URI.create(recipe.endpoint()));
    }
    this.urls = urls.build();
    this.region = recipe.region();
    this.credentials = S3Clients.credentials(recipe.credentials());
    TrustManager[] trust = S3Clients.bundleTrust(recipe);
    this.tls = trust == null ? null : socketFactory(trust, recipe.caBundlePath());
  }

  /**
   * The JVM's small GETs for {@code recipe}, built on first use with its own credentials provider
   * (they outlive any one client); null when a proxy is configured and the SDK must fetch.
   */
  public static SmallGets of(ClientRecipe recipe) {
    return BY_RECIPE.computeIfAbsent(recipe, r -> proxyConfigured() ? Optional.empty() : Optional.of(new SmallGets(r)))
        .orElse(null);
  }

  private static boolean proxyConfigured() {
    if (System.getProperty("http.proxyHost") != null || System.getProperty("https.proxyHost") != null) {
      return true;
    }
    return PROXY_VARIABLES.stream().map(System::getenv).anyMatch(v -> v != null && !v.isBlank());
  }

  /** An answer with a body: 200 or 206. Close it once read, which returns its connection to the pool. */
  public static final class Response implements Closeable {
    private final HttpURLConnection connection;
    private final InputStream body;

    private Response(HttpURLConnection connection, InputStream body) {
      this.connection = connection;
      this.body = body;
    }

    public InputStream body() {
      return body;
    }

    /** The HTTP status: 200 or 206. */
    public int status() {
      try {
        return connection.getResponseCode(); // read already: no I/O
      } catch (IOException e) {
        throw new IllegalStateException("the status was read before the body", e);
      }
    }

    /** Ends the exchange from another thread: a read in progress fails, the connection is dropped. */
    public void abort() {
      connection.disconnect();
    }

    /** The Content-Length, or -1 when the server sent none. */
    public long contentLength() {
      return connection.getContentLengthLong();
    }

    /** The first value of a response header, or null. */
    public String header(String name) {
      return connection.getHeaderField(name);
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /**
   * GETs {@code bucket/key}, pinned to {@code etag} with {@code If-Match} when it is set; null when
   * the bucket's URL cannot be derived (the SDK fetches).
   *
   * @param range {@code first-lastInclusive} for a part of the object, or null for all of it
   * @param checksumMode ask for the checksums the store keeps ({@code x-amz-checksum-mode: ENABLED};
   *     stores send them with a whole-object answer only)
   * @throws S3Exception when the server answers anything but 200 or 206
   * @throws IOException when the connection fails
   */
  public Response get(String bucket, String key, String etag, String range, boolean checksumMode) throws IOException {
    Optional<String> base = bucketUrls.computeIfAbsent(bucket, this::bucketUrl);
    if (base.isEmpty()) {
      return null;
    }
    SdkHttpRequest.Builder request = SdkHttpRequest.builder()
        .method(SdkHttpMethod.GET)
        .uri(URI.create(base.get() + SdkHttpUtils.urlEncodeIgnoreSlashes(key)));
    if (range != null) {
      request.putHeader("Range", "bytes=" + range);
    }
    if (checksumMode) {
      request.putHeader("x-amz-checksum-mode", "ENABLED");
    }
    if (etag != null && !etag.isEmpty()) {
      request.putHeader("If-Match", etag);
    }
    SdkHttpRequest signed = sign(request.build());
    HttpURLConnection connection = (HttpURLConnection) signed.getUri().toURL().openConnection(Proxy.NO_PROXY);
    if (tls != null && connection instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(tls);
    }
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setConnectTimeout((int) S3Clients.CONNECT_TIMEOUT.toMillis());
    connection.setReadTimeout((int) S3Clients.SOCKET_TIMEOUT.toMillis());
    signed.forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("Host")) { // the JDK sets it from the URL, as it was signed
        connection.setRequestProperty(name, values.get(0));
      }
    });
    int status;
    try {
      status = connection.getResponseCode();
    } catch (IOException e) {
      connection.disconnect();
      throw e;
    }
    if (status < 0) {
      // No status line: bytes a previous answer left on this kept-alive connection, or no HTTP at all.
      connection.disconnect();
      throw new IOException(NOT_HTTP);
    }
    if (status != 200 && status != 206) {
      throw error(connection, status);
    }
    return new Response(connection, connection.getInputStream());
  }

  /** The bucket's URL ending in '/', ready for an encoded key, as the SDK's client builds it. */
  private Optional<String> bucketUrl(String bucket) {
    String probe = urls.getUrl(b -> b.bucket(bucket).key("k")).toExternalForm();
    return probe.endsWith("/k") ? Optional.of(probe.substring(0, probe.length() - 1)) : Optional.empty();
  }

  private SdkHttpRequest sign(SdkHttpRequest request) {
    AwsCredentialsIdentity identity = credentials.resolveCredentials();
    if (identity.accessKeyId() == null) {
      return request; // anonymous: unsigned, as the SDK sends it
    }
    return SIGNER.sign(r -> r.identity(identity).request(request)
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        // S3 signs the path as sent, and a GET has no payload to sign
        .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
        .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false))
        .request();
  }

  /** The error answer as the SDK would raise it: status, code, message and request id. */
  private static S3Exception error(HttpURLConnection connection, int status) throws IOException {
    String body;
    try (InputStream in = connection.getErrorStream()) {
      body = in == null ? "" : readCapped(in, 64 * 1024);
    } catch (IOException e) {
      connection.disconnect();
      throw e;
    }
    String code = null;
    String message = null;
    String requestId = connection.getHeaderField("x-amz-request-id");
    Matcher m = ERROR_FIELD.matcher(body);
    while (m.find()) {
      String value = unescape(m.group(2));
      switch (m.group(1)) {
        case "Code" -> code = code == null ? value : code;
        case "Message" -> message = message == null ? value : message;
        default -> requestId = requestId == null ? value : requestId;
      }
    }
    AwsErrorDetails details = AwsErrorDetails.builder()
        .errorCode(code)
        .errorMessage(message)
        .serviceName("S3")
        .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).statusText(connection.getResponseMessage()).build())
        .build();
    return (S3Exception) modeled(code)
        .statusCode(status)
        .requestId(requestId)
        .awsErrorDetails(details)
        .message((message == null ? "HTTP " + status : message) + " (Service: S3, Status Code: " + status
            + ", Request ID: " + requestId + ")")
        .build();
  }

  /**
   * The builder of the exception the SDK raises for {@code code}: S3's modeled errors are named
   * after their code ({@code NoSuchKey} → {@link NoSuchKeyException}, {@code AccessDenied} →
   * {@code AccessDeniedException}); any other code is a plain {@link S3Exception}.
   */
  private static S3Exception.Builder modeled(String code) {
    Class<?> type = code == null ? S3Exception.class : MODELED.computeIfAbsent(code, c -> {
      if (!c.matches("[A-Za-z]{1,64}")) {
        return S3Exception.class;
      }
      try {
        Class<?> named = Class.forName(S3Exception.class.getPackageName() + "." + c + "Exception");
        return S3Exception.class.isAssignableFrom(named) ? named : S3Exception.class;
      } catch (ClassNotFoundException e) {
        return S3Exception.class;
      }
    });
    try {
      return (S3Exception.Builder) type.getMethod("builder").invoke(null);
    } catch (ReflectiveOperationException e) {
      return S3Exception.builder();
    }
  }

  private static String readCapped(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    for (int n; (n = in.read(buffer)) > 0; ) {
      if (out.size() < max) {
        out.write(buffer, 0, Math.min(n, max - out.size()));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String unescape(String xml) {
    return xml.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
        .replace("&amp;", "&");
  }

  private static SSLSocketFactory socketFactory(TrustManager[] trust, String caBundle) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust, null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS with AWS_CA_BUNDLE '" + caBundle + "': " + e.getMessage(), e);
    }
  }
}
