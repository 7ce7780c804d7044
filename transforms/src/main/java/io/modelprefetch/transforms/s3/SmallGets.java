package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.ClientRecipe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.jspecify.annotations.Nullable;
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
import software.amazon.awssdk.services.s3.model.AccessDeniedException;
import software.amazon.awssdk.services.s3.model.AnnotationLimitExceededException;
import software.amazon.awssdk.services.s3.model.AnnotationNameTooLongException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.EncryptionTypeMismatchException;
import software.amazon.awssdk.services.s3.model.IdempotencyParameterMismatchException;
import software.amazon.awssdk.services.s3.model.InvalidAnnotationNameException;
import software.amazon.awssdk.services.s3.model.InvalidObjectStateException;
import software.amazon.awssdk.services.s3.model.InvalidPrefixException;
import software.amazon.awssdk.services.s3.model.InvalidRequestException;
import software.amazon.awssdk.services.s3.model.InvalidWriteOffsetException;
import software.amazon.awssdk.services.s3.model.NoSuchAnnotationException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectAlreadyInActiveTierErrorException;
import software.amazon.awssdk.services.s3.model.ObjectNotInActiveTierErrorException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.TooManyPartsException;
import software.amazon.awssdk.services.s3.model.UnsupportedMediaTypeException;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * The {@link RangeSource} of small ranges: ranged GETs over the JDK's HTTP client, signed by the
 * SDK's SigV4 signer.
 *
 * <p>A small range (a config or tokenizer file, one of thousands of small shards) waits on its
 * round trip, and the SDK's request pipeline (interceptors, endpoint rules, metrics, marshalling)
 * costs several times the CPU its bytes do: with thousands of small files that pipeline was most of
 * a run. These GETs go to the URL the recipe's SDK client would use (the SDK's {@code getUrl} for
 * the bucket, configured as {@link S3Clients} configures the client), with the recipe's
 * credentials, trust ({@code caBundlePath}) and the client's timeouts, over pooled keep-alive
 * connections. Failures surface as the SDK path's do: an error answer as the {@link S3Exception}
 * the SDK raises for its code ({@link NoSuchKeyException} for {@code NoSuchKey}, and so on), with
 * its status, code and message; a reset or timeout as an {@link IOException}; so retries, their
 * causes and messages are the same.
 *
 * <p>Where a proxy is configured (which the SDK's client would honour) there are none: {@link #of}
 * answers null and {@link RangeSources} sends every range through the SDK. One difference remains:
 * the JDK sends a GET once more by itself when the connection fails before the response's headers,
 * a retry no metric counts.
 */
public final class SmallGets implements RangeSource {

  private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
  private static final List<String> PROXY_VARIABLES =
      List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy");
  private static final Set<String> ERROR_FIELDS = Set.of("Code", "Message", "RequestId");

  /** Why an answer without a status line failed, in plain words. */
  static final String NOT_HTTP =
      "the answer is not valid HTTP (no status line): the server or a proxy in front of it"
          + " sent a Content-Length that does not match the body, or does not speak HTTP";

  static {
    // The JDK keeps 5 idle connections per server unless told otherwise; every fetch thread keeps
    // one.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "256");
    }
  }

  private final S3Utilities urls;
  private final String region;
  private final AwsCredentialsProvider credentials;
  private final @Nullable SSLSocketFactory tls; // null: the JVM's default trust
  private final Map<String, Optional<String>> bucketUrls = new ConcurrentHashMap<>();

  private SmallGets(ClientRecipe recipe) {
    // What S3Clients#build gives the client: endpoint, region, addressing and credentials.
    S3Utilities.Builder urls =
        S3Utilities.builder()
            .region(Region.of(recipe.region()))
            .s3Configuration(
                S3Configuration.builder().pathStyleAccessEnabled(recipe.pathStyle()).build());
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
   * Small GETs for {@code recipe}, with its own credentials provider; null when a proxy is
   * configured and the SDK must fetch. Build one per recipe and keep it: {@code FetchRuntime} holds
   * them.
   */
  public static @Nullable SmallGets of(ClientRecipe recipe) {
    return proxyConfigured() ? null : new SmallGets(recipe);
  }

  private static boolean proxyConfigured() {
    if (System.getProperty("http.proxyHost") != null
        || System.getProperty("https.proxyHost") != null) {
      return true;
    }
    return PROXY_VARIABLES.stream().map(System::getenv).anyMatch(v -> v != null && !v.isBlank());
  }

  /** An answer with a body over the JDK's connection: 200 or 206. */
  private static final class JdkResponse implements Response {
    private final HttpURLConnection connection;
    private final InputStream body;

    private JdkResponse(HttpURLConnection connection, InputStream body) {
      this.connection = connection;
      this.body = body;
    }

    @Override
    public InputStream body() {
      return body;
    }

    @Override
    public int status() {
      try {
        return connection.getResponseCode(); // read already: no I/O
      } catch (IOException e) {
        throw new IllegalStateException("the status was read before the body", e);
      }
    }

    @Override
    public @Nullable String contentRange() {
      return connection.getHeaderField("Content-Range");
    }

    @Override
    public void abort() {
      connection.disconnect();
    }

    @Override
    public long contentLength() {
      return connection.getContentLengthLong();
    }

    @Override
    public @Nullable String header(String name) {
      return connection.getHeaderField(name);
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /**
   * Whether these GETs can address {@code bucket}: the SDK's URL for it ends in the bucket's path,
   * to which an encoded key is appended. {@link RangeSources} sends the GETs of any other bucket
   * through the SDK.
   */
  public boolean addresses(String bucket) {
    return bucketUrls.computeIfAbsent(bucket, this::bucketUrl).isPresent();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when these GETs cannot {@link #addresses address} {@code
   *     bucket}
   */
  @Override
  public Response get(
      String bucket,
      String key,
      @Nullable String etag,
      @Nullable String range,
      boolean checksumMode)
      throws IOException {
    Optional<String> base = bucketUrls.computeIfAbsent(bucket, this::bucketUrl);
    if (base.isEmpty()) {
      throw new IllegalArgumentException(
          "the SDK gives bucket '"
              + bucket
              + "' a URL that does not end in its path; fetch it through the SDK (RangeSources"
              + " does)");
    }
    SdkHttpRequest.Builder request =
        SdkHttpRequest.builder()
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
    HttpURLConnection connection =
        (HttpURLConnection) signed.getUri().toURL().openConnection(Proxy.NO_PROXY);
    if (tls != null && connection instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(tls);
    }
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setConnectTimeout((int) S3Clients.CONNECT_TIMEOUT.toMillis());
    connection.setReadTimeout((int) S3Clients.SOCKET_TIMEOUT.toMillis());
    signed.forEachHeader(
        (name, values) -> {
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
      // No status line: bytes a previous answer left on this kept-alive connection, or no HTTP at
      // all.
      connection.disconnect();
      throw new IOException(NOT_HTTP);
    }
    if (status != 200 && status != 206) {
      throw error(connection, status);
    }
    return new JdkResponse(connection, connection.getInputStream());
  }

  /** The bucket's URL ending in '/', ready for an encoded key, as the SDK's client builds it. */
  private Optional<String> bucketUrl(String bucket) {
    String probe = urls.getUrl(b -> b.bucket(bucket).key("k")).toExternalForm();
    return probe.endsWith("/k")
        ? Optional.of(probe.substring(0, probe.length() - 1))
        : Optional.empty();
  }

  private SdkHttpRequest sign(SdkHttpRequest request) {
    AwsCredentialsIdentity identity = credentials.resolveCredentials();
    if (identity.accessKeyId() == null) {
      return request; // anonymous: unsigned, as the SDK sends it
    }
    return SIGNER
        .sign(
            r ->
                r.identity(identity)
                    .request(request)
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
    Map<String, String> fields = errorFields(body);
    String code = fields.get("Code");
    String message = fields.get("Message");
    String requestId = connection.getHeaderField("x-amz-request-id");
    if (requestId == null) {
      requestId = fields.get("RequestId");
    }
    AwsErrorDetails details =
        AwsErrorDetails.builder()
            .errorCode(code)
            .errorMessage(message)
            .serviceName("S3")
            .sdkHttpResponse(
                SdkHttpResponse.builder()
                    .statusCode(status)
                    .statusText(connection.getResponseMessage())
                    .build())
            .build();
    return (S3Exception)
        modeled(code)
            .statusCode(status)
            .requestId(requestId)
            .awsErrorDetails(details)
            .message(
                (message == null ? "HTTP " + status : message)
                    + " (Service: S3, Status Code: "
                    + status
                    + ", Request ID: "
                    + requestId
                    + ")")
            .build();
  }

  /**
   * The builder of the exception the SDK raises for {@code code}: each of the SDK's modeled S3
   * exceptions is named after its code ({@code NoSuchKey} → {@link NoSuchKeyException}); any other
   * code is a plain {@link S3Exception}. {@code SmallGetsIT} checks the answers a GET can meet
   * against the SDK's own.
   */
  private static S3Exception.Builder modeled(@Nullable String code) {
    return switch (code == null ? "" : code) {
      case "AccessDenied" -> AccessDeniedException.builder();
      case "AnnotationLimitExceeded" -> AnnotationLimitExceededException.builder();
      case "AnnotationNameTooLong" -> AnnotationNameTooLongException.builder();
      case "BucketAlreadyExists" -> BucketAlreadyExistsException.builder();
      case "BucketAlreadyOwnedByYou" -> BucketAlreadyOwnedByYouException.builder();
      case "EncryptionTypeMismatch" -> EncryptionTypeMismatchException.builder();
      case "IdempotencyParameterMismatch" -> IdempotencyParameterMismatchException.builder();
      case "InvalidAnnotationName" -> InvalidAnnotationNameException.builder();
      case "InvalidObjectState" -> InvalidObjectStateException.builder();
      case "InvalidPrefix" -> InvalidPrefixException.builder();
      case "InvalidRequest" -> InvalidRequestException.builder();
      case "InvalidWriteOffset" -> InvalidWriteOffsetException.builder();
      case "NoSuchAnnotation" -> NoSuchAnnotationException.builder();
      case "NoSuchBucket" -> NoSuchBucketException.builder();
      case "NoSuchKey" -> NoSuchKeyException.builder();
      case "NoSuchUpload" -> NoSuchUploadException.builder();
      case "ObjectAlreadyInActiveTierError" -> ObjectAlreadyInActiveTierErrorException.builder();
      case "ObjectNotInActiveTierError" -> ObjectNotInActiveTierErrorException.builder();
      case "TooManyParts" -> TooManyPartsException.builder();
      case "UnsupportedMediaType" -> UnsupportedMediaTypeException.builder();
      default -> S3Exception.builder();
    };
  }

  /**
   * The first {@code Code}, {@code Message} and {@code RequestId} of an S3 error document, read
   * with a StAX parser (no DTDs, no external entities); none when the body is not XML.
   */
  static Map<String, String> errorFields(String body) {
    Map<String, String> fields = new HashMap<>();
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    try {
      XMLStreamReader xml = factory.createXMLStreamReader(new StringReader(body));
      int depth = 0;
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          depth++;
          String name = xml.getLocalName();
          if (depth == 2 && ERROR_FIELDS.contains(name) && !fields.containsKey(name)) {
            fields.put(name, xml.getElementText());
            depth--; // getElementText consumed the end tag
          }
        } else if (event == XMLStreamConstants.END_ELEMENT) {
          depth--;
        }
      }
    } catch (XMLStreamException e) {
      // Not XML (an HTML page, a truncated body): what was read so far stands.
    }
    return fields;
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

  private static SSLSocketFactory socketFactory(TrustManager[] trust, @Nullable String caBundle) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust, null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot set up TLS with AWS_CA_BUNDLE '" + caBundle + "': " + e.getMessage(), e);
    }
  }
}
