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
    if (tlsFailure(e) != null) {
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

  /** One line: what failed, on which object, and the likely cause. */
  public static String describe(Throwable e, String uri) {
    if (e instanceof NoSuchBucketException) {
      return "bucket of " + uri + " does not exist (NoSuchBucket); check the bucket name and the endpoint's region";
    }
    if (e instanceof NoSuchKeyException) {
      return uri + " does not exist (NoSuchKey); it was deleted after the listing or the key is wrong";
    }
    if (e instanceof S3Exception s3) {
      String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
      String message = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorMessage();
      String head = uri + ": HTTP " + s3.statusCode() + (code == null ? "" : " " + code)
          + (message == null || message.isBlank() ? "" : " (" + message + ")");
      return head + hint(s3.statusCode(), code);
    }
    if (e instanceof TruncatedBodyException) {
      return uri + ": " + e.getMessage();
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    javax.net.ssl.SSLException tls = tlsFailure(e);
    if (tls instanceof javax.net.ssl.SSLPeerUnverifiedException) {
      return uri + ": " + message + "; the server's certificate does not cover the host contacted:"
          + " check that the endpoint does not already hold the bucket";
    }
    if (tls != null && String.valueOf(tls.getMessage()).contains("PKIX")) {
      return uri + ": " + message + "; the server's certificate is not trusted:"
          + " set AWS_CA_BUNDLE to a PEM file of its CA";
    }
    return uri + ": " + message;
  }

  private static String hint(int status, String code) {
    String c = code == null ? "" : code;
    if (c.equals("InvalidAccessKeyId") || c.equals("SignatureDoesNotMatch")) {
      return "; the access key or secret key is wrong";
    }
    if (c.equals("InvalidPathAccess")) {
      return "; the store refuses path-style addressing, use virtual-hosted addressing";
    }
    if (c.equals("AuthorizationHeaderMalformed") || c.equals("InvalidRegion") || c.equals("IllegalLocationConstraintException")) {
      return "; the region does not match the endpoint";
    }
    if (status == 403) {
      return "; the credentials lack permission (or are wrong)";
    }
    if (status == 412) {
      return "; the object changed during the download";
    }
    return "";
  }

  /** A response body that ended before the bytes of its range. */
  public static final class TruncatedBodyException extends IOException {
    public TruncatedBodyException(long expected, long received) {
      super("response body ended after " + received + " of " + expected + " bytes");
    }
  }
}
