package io.modelprefetch.transforms.s3;

import java.io.IOException;
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
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() == null ? "" : String.valueOf(s3.awsErrorDetails().errorCode());
      return status >= 500 || status == 429 || code.equals("SlowDown") || code.equals("TooManyRequests")
          || (code.startsWith("Exceed") && code.endsWith("Limit")) || code.equals("RequestTimeout");
    }
    if (e instanceof io.modelprefetch.transforms.storage.LocalFiles.LocalWriteException || tlsFailure(e) != null) {
      return false; // an untrusted or mismatched certificate stays so
    }
    return e instanceof IOException || e instanceof SdkClientException || e instanceof TruncatedBodyException;
  }

  /** The TLS failure in {@code e}'s causes, if any. */
  private static javax.net.ssl.SSLException tlsFailure(Throwable e) {
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
    if (e instanceof NoSuchBucketException) {
      return "bucket of " + uri + " does not exist (NoSuchBucket)";
    }
    if (e instanceof NoSuchKeyException) {
      return uri + " does not exist (NoSuchKey)";
    }
    if (e instanceof S3Exception s3) {
      String code = errorCode(s3);
      String message = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
      return uri + ": HTTP " + s3.statusCode() + (code == null ? "" : " " + code)
          + (message == null || message.isBlank() ? "" : " (" + message + ")");
    }
    return uri + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  /**
   * The likely cause of {@code e} and what to do, in plain words, or null when there is nothing
   * more to say than the error itself. The run and {@code prefetch doctor} both use it.
   */
  public static String explain(Throwable e) {
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
    javax.net.ssl.SSLException tls = tlsFailure(e);
    if (tls instanceof javax.net.ssl.SSLPeerUnverifiedException) {
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

  private static String errorCode(S3Exception s3) {
    String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
    return code == null || code.isBlank() ? null : code;
  }

  private static String hint(int status, String code) {
    String c = code == null ? "" : code;
    if (c.equals("InvalidAccessKeyId") || c.equals("SignatureDoesNotMatch")) {
      return "the access key or secret key is wrong";
    }
    if (c.equals("InvalidPathAccess")) {
      return "the store refuses path-style addressing, use virtual-hosted addressing";
    }
    if (c.equals("AuthorizationHeaderMalformed") || c.equals("InvalidRegion") || c.equals("IllegalLocationConstraintException")
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

  /** A response body that ended before the bytes of its range. */
  public static final class TruncatedBodyException extends IOException {
    public TruncatedBodyException(long expected, long received) {
      super("response body ended after " + received + " of " + expected + " bytes");
    }
  }
}
