package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.model.RetryCause;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Classifies S3 failures and says in plain words what they mean. */
public final class S3Errors {

  private S3Errors() {}

  /** True when trying again may succeed: 5xx, throttling, resets, timeouts, truncated bodies. */
  public static boolean isRetryable(Throwable e) {
    if (e instanceof S3Exception s3) {
      return s3.statusCode() >= 500 || throttled(s3) || "RequestTimeout".equals(errorCode(s3));
    }
    if (tlsFailure(e) != null) {
      return false; // an untrusted or mismatched certificate stays so
    }
    return e instanceof IOException
        || e instanceof SdkClientException
        || e instanceof TruncatedBodyException;
  }

  /**
   * Why a retryable failure ({@link #isRetryable}) happened, for the {@code rangeRetries.<cause>}
   * metrics: throttling (429, 503, {@code SlowDown} and the like), a timeout, another error answer
   * of the server (5xx), a body that ended early, or else a connection reset or other I/O failure.
   */
  public static RetryCause retryCause(Throwable e) {
    if (e instanceof S3Exception s3) {
      if ("RequestTimeout".equals(errorCode(s3))) {
        return RetryCause.TIMEOUT;
      }
      return throttled(s3) ? RetryCause.THROTTLED : RetryCause.SERVER;
    }
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      // The Apache client reports a body shorter than its Content-Length as a closed connection.
      if (t instanceof TruncatedBodyException
          || t instanceof org.apache.http.ConnectionClosedException) {
        return RetryCause.TRUNCATED;
      }
      if (t instanceof StalledBodyException) {
        return RetryCause.TIMEOUT;
      }
      if (t instanceof WrongRangeException) {
        return RetryCause.SERVER;
      }
      if (t instanceof java.io.InterruptedIOException
          || t instanceof ApiCallTimeoutException
          || t instanceof ApiCallAttemptTimeoutException) {
        return RetryCause.TIMEOUT; // socket, connect and SDK call timeouts
      }
    }
    return RetryCause.CONNECTION;
  }

  /**
   * 429, 503, or a throttling code: {@code SlowDown}, {@code TooManyRequests}, TOS's {@code
   * Exceed…Limit}.
   */
  private static boolean throttled(S3Exception s3) {
    String code = Objects.requireNonNullElse(errorCode(s3), "");
    return s3.statusCode() == 429
        || s3.statusCode() == 503
        || code.equals("SlowDown")
        || code.equals("TooManyRequests")
        || (code.startsWith("Exceed") && code.endsWith("Limit"));
  }

  /** The TLS failure in {@code e}'s causes, if any. */
  private static javax.net.ssl.@Nullable SSLException tlsFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException ssl) {
        return ssl;
      }
    }
    return null;
  }

  /** One line: what failed, on which object, and the likely cause ({@link #explain}). */
  public static String describe(Throwable e, String uri) {
    String why = explain(e);
    return why == null ? what(e, uri) : what(e, uri) + "; " + why;
  }

  /** What failed, on which object: the status, error code and message, without the cause. */
  public static String what(Throwable e, String uri) {
    // The key is the store's to choose and a message the server's: neither may break the line.
    String shown = Printable.escape(uri);
    if (e instanceof NoSuchBucketException) {
      return "bucket of " + shown + " does not exist (NoSuchBucket)";
    }
    if (e instanceof NoSuchKeyException) {
      return shown + " does not exist (NoSuchKey)";
    }
    if (e instanceof S3Exception s3) {
      String code = errorCode(s3);
      String message = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
      return shown
          + ": HTTP "
          + s3.statusCode()
          + (code == null ? "" : " " + Printable.oneLine(code))
          + (message == null || message.isBlank() ? "" : " (" + Printable.oneLine(message) + ")");
    }
    return shown + ": " + Printable.oneLine(message(e));
  }

  /**
   * The message of {@code e}, with the SDK's {@code Unable to execute HTTP request: null} (a cause
   * with no message of its own) told in plain words.
   */
  private static String message(Throwable e) {
    String message = e.getMessage();
    if (message != null && message.contains(ListingAnswers.NOT_S3)) {
      return message.replaceFirst(
          " \\(SDK Attempt Count: \\d+\\)$", ""); // said once, never retried
    }
    Throwable cause = e.getCause();
    if (message != null
        && message.endsWith(": null")
        && cause != null
        && cause.getMessage() == null) {
      return message.substring(0, message.length() - ": null".length()) + ": " + unexplained(cause);
    }
    return message == null ? unexplained(e) : message;
  }

  /** A failure without a message, in plain words where its kind says enough. */
  private static String unexplained(Throwable e) {
    if (e instanceof java.io.EOFException || e instanceof org.apache.http.NoHttpResponseException) {
      return "the connection ended before a whole answer came (a Content-Length that does not match the body,"
          + " or a proxy that cut the connection)";
    }
    if (e instanceof org.apache.http.ProtocolException
        || e instanceof org.apache.http.MalformedChunkCodingException) {
      return "the server's answer is not valid HTTP (a Content-Length that does not match the body, or a broken proxy)";
    }
    return e.getClass().getSimpleName() + " without a message";
  }

  /**
   * The likely cause of {@code e} and what to do, in plain words, or null when there is nothing
   * more to say than the error itself. The run and {@code prefetch doctor} both use it.
   */
  public static @Nullable String explain(Throwable e) {
    if (e instanceof NoSuchBucketException) {
      return "check the bucket name and the endpoint's region";
    }
    if (e instanceof NoSuchKeyException) {
      return "it was deleted after the listing or the key is wrong";
    }
    if (e instanceof S3Exception s3) {
      return hint(s3.statusCode(), errorCode(s3));
    }
    if (e instanceof TruncatedBodyException) {
      return null;
    }
    if (String.valueOf(e.getMessage()).startsWith("Could not parse XML response")) {
      return "the store's answer is not S3's XML: a Content-Length that does not match the body, or a proxy that changed"
          + " the answer; check the endpoint and any proxy in front of it";
    }
    javax.net.ssl.SSLException tls = tlsFailure(e);
    // The SDK's client reports a name mismatch as a peer not verified, the JDK's HTTP client
    // (small GETs) as a failed handshake.
    if (tls instanceof javax.net.ssl.SSLPeerUnverifiedException
        || (tls != null && String.valueOf(tls.getMessage()).contains("No subject alternative"))) {
      return CERTIFICATE_DOES_NOT_COVER_HOST;
    }
    if (tls != null && String.valueOf(tls.getMessage()).contains("PKIX")) {
      return CERTIFICATE_NOT_TRUSTED;
    }
    return null;
  }

  /** Why a certificate that names other hosts fails, and the fix. */
  public static final String CERTIFICATE_DOES_NOT_COVER_HOST =
      "the server's certificate does not cover the host contacted: check that the endpoint does not already hold the bucket";

  /** Why an unknown CA fails, and the fix. */
  public static final String CERTIFICATE_NOT_TRUSTED =
      "the server's certificate is not trusted: set AWS_CA_BUNDLE to a PEM file of its CA";

  private static @Nullable String errorCode(S3Exception s3) {
    String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
    return code == null || code.isBlank() ? null : code;
  }

  private static @Nullable String hint(int status, @Nullable String code) {
    String c = code == null ? "" : code;
    if (c.equals("InvalidAccessKeyId") || c.equals("SignatureDoesNotMatch")) {
      return "the access key or secret key is wrong";
    }
    if (c.equals("InvalidPathAccess")) {
      return "the store refuses path-style addressing, use virtual-hosted addressing";
    }
    if (c.equals("AuthorizationHeaderMalformed")
        || c.equals("InvalidRegion")
        || c.equals("IllegalLocationConstraintException")
        || c.equals("PermanentRedirect")) {
      return "the region does not match the endpoint";
    }
    if (c.equals("NoSuchBucket")) {
      return "check the bucket name and the endpoint's region";
    }
    if (c.equals("AccessDenied")) {
      return "the keys are valid but lack permission to list or read this bucket or prefix; grant it in the bucket or user policy";
    }
    if (status == 403) {
      return "the credentials lack permission (or are wrong)";
    }
    if (status == 412) {
      return "the object changed during the download";
    }
    if (status == 400) {
      return "the endpoint does not accept S3 requests; the native TOS endpoint tos-<region>.volces.com answers them"
          + " with HTTP 400: use the S3 endpoint tos-s3-<region>.volces.com";
    }
    return null;
  }

  /**
   * A response that does not hold the bytes asked for (see {@code RangeAnswer}): a wrong {@code
   * Content-Range}, or the whole object for a part of it. Retried as a server error.
   */
  public static final class WrongRangeException extends IOException {
    public WrongRangeException(String problem) {
      super(problem);
    }
  }

  /** A response body the stall watchdog ended: it delivered too little for too long. */
  public static final class StalledBodyException extends IOException {
    public StalledBodyException(
        long received, java.time.Duration window, @Nullable Throwable cause) {
      super(
          "response body stalled after "
              + received
              + " bytes: less than 64 KiB in "
              + (window.toMillis() % 1000 == 0
                  ? window.toSeconds() + " s"
                  : window.toMillis() + " ms")
              + " (--stall-timeout)",
          cause);
    }
  }

  /** A response body that ended before the bytes of its range. */
  public static final class TruncatedBodyException extends IOException {
    public TruncatedBodyException(long expected, long received) {
      super("response body ended after " + received + " of " + expected + " bytes");
    }
  }
}
