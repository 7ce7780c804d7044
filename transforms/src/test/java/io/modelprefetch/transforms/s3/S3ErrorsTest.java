package io.modelprefetch.transforms.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.RetryCause;
import java.io.IOException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The one translation of S3 failures into plain causes that the run and the doctor share. */
class S3ErrorsTest {

  private static final String URI = "tos://mybucket/llama/config.json";

  static S3Exception s3(int status, String code, String message) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .awsErrorDetails(
                AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
            .build();
  }

  static Stream<Arguments> serverErrors() {
    return Stream.of(
        Arguments.of(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
            URI
                + ": HTTP 403 SignatureDoesNotMatch (The request signature we calculated does not match);"
                + " the access key or secret key is wrong"),
        Arguments.of(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist",
            URI
                + ": HTTP 403 InvalidAccessKeyId (The AWS Access Key Id you provided does not exist);"
                + " the access key or secret key is wrong"),
        Arguments.of(
            403,
            "AccessDenied",
            "Access Denied",
            URI
                + ": HTTP 403 AccessDenied (Access Denied); the keys are valid but lack permission to list or read"
                + " this bucket or prefix; grant it in the bucket or user policy"),
        Arguments.of(
            403,
            "InvalidPathAccess",
            "path style is not allowed",
            URI
                + ": HTTP 403 InvalidPathAccess (path style is not allowed); the store refuses path-style addressing,"
                + " use virtual-hosted addressing"),
        Arguments.of(
            400,
            "AuthorizationHeaderMalformed",
            "the region 'us-east-1' is wrong",
            URI
                + ": HTTP 400 AuthorizationHeaderMalformed (the region 'us-east-1' is wrong); the region does not"
                + " match the endpoint"),
        Arguments.of(
            301,
            "PermanentRedirect",
            "use the specified endpoint",
            URI
                + ": HTTP 301 PermanentRedirect (use the specified endpoint); the region does not match the endpoint"),
        Arguments.of(
            404,
            "NoSuchBucket",
            "The specified bucket does not exist",
            URI
                + ": HTTP 404 NoSuchBucket (The specified bucket does not exist); check the bucket name and the"
                + " endpoint's region"),
        Arguments.of(
            400,
            "InvalidArgument",
            "not an S3 request",
            URI
                + ": HTTP 400 InvalidArgument (not an S3 request); the endpoint does not accept S3 requests; the native"
                + " TOS endpoint tos-<region>.volces.com answers them with HTTP 400: use the S3 endpoint"
                + " tos-s3-<region>.volces.com"),
        Arguments.of(
            403,
            "SomethingElse",
            "",
            URI + ": HTTP 403 SomethingElse; the credentials lack permission (or are wrong)"),
        Arguments.of(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            URI
                + ": HTTP 412 PreconditionFailed (At least one of the pre-conditions you specified did not hold);"
                + " the object changed during the download"),
        Arguments.of(
            503,
            "SlowDown",
            "Please reduce your request rate",
            URI + ": HTTP 503 SlowDown (Please reduce your request rate)"));
  }

  @ParameterizedTest
  @MethodSource("serverErrors")
  void serverErrorNamesStatusCodeMessageAndPlainCause(
      int status, String code, String message, String expected) {
    assertEquals(expected, S3Errors.describe(s3(status, code, message), URI));
  }

  @Test
  void headResponseWithoutCodeStillExplainsHttp400() {
    S3Exception e = (S3Exception) S3Exception.builder().statusCode(400).build();

    assertEquals(URI + ": HTTP 400", S3Errors.what(e, URI));
    assertTrue(
        S3Errors.explain(e).startsWith("the endpoint does not accept S3 requests;"),
        S3Errors.explain(e));
  }

  @Test
  void missingBucketAndKeyKeepTheirWording() {
    NoSuchBucketException bucket =
        (NoSuchBucketException) NoSuchBucketException.builder().statusCode(404).build();
    NoSuchKeyException key =
        (NoSuchKeyException) NoSuchKeyException.builder().statusCode(404).build();

    assertEquals(
        "bucket of "
            + URI
            + " does not exist (NoSuchBucket); check the bucket name and the endpoint's region",
        S3Errors.describe(bucket, URI));
    assertEquals(
        URI + " does not exist (NoSuchKey); it was deleted after the listing or the key is wrong",
        S3Errors.describe(key, URI));
  }

  @Test
  void certificateForOtherHostsSaysTheEndpointMayHoldTheBucket() {
    SdkClientException e =
        SdkClientException.create(
            "Unable to execute HTTP request: Certificate for"
                + " <mybucket.mybucket.tos-s3-cn-beijing.volces.com> doesn't match any of the subject alternative names",
            new SSLPeerUnverifiedException(
                "Certificate for <mybucket.mybucket.tos-s3-cn-beijing.volces.com> doesn't match"));

    assertEquals(S3Errors.CERTIFICATE_DOES_NOT_COVER_HOST, S3Errors.explain(e));
    assertEquals(
        URI
            + ": "
            + e.getMessage()
            + "; the server's certificate does not cover the host contacted:"
            + " check that the endpoint does not already hold the bucket",
        S3Errors.describe(e, URI));
    assertFalse(S3Errors.isRetryable(e));
  }

  @Test
  void certificateForOtherHostsFromTheJdkClientSaysTheSame() {
    IOException e =
        new SSLHandshakeException(
            "No subject alternative DNS name matching mybucket.mybucket.tos-s3-cn-beijing.volces.com found.");

    assertEquals(S3Errors.CERTIFICATE_DOES_NOT_COVER_HOST, S3Errors.explain(e));
    assertFalse(S3Errors.isRetryable(e));
  }

  @Test
  void untrustedCertificateNamesAwsCaBundle() {
    SdkClientException e =
        SdkClientException.create(
            "Unable to execute HTTP request: PKIX path building failed",
            new SSLHandshakeException(
                "PKIX path building failed: unable to find valid certification path"));

    assertEquals(
        "the server's certificate is not trusted: set AWS_CA_BUNDLE to a PEM file of its CA",
        S3Errors.explain(e));
    assertFalse(S3Errors.isRetryable(e));
  }

  @Test
  void resetsAndTruncatedBodiesHaveNoHintAndAreRetried() {
    IOException reset = new IOException("Connection reset");
    S3Errors.TruncatedBodyException truncated = new S3Errors.TruncatedBodyException(100, 40);

    assertNull(S3Errors.explain(reset));
    assertEquals(URI + ": Connection reset", S3Errors.describe(reset, URI));
    assertEquals(
        URI + ": response body ended after 40 of 100 bytes", S3Errors.describe(truncated, URI));
    assertTrue(S3Errors.isRetryable(reset));
    assertTrue(S3Errors.isRetryable(truncated));
    assertTrue(S3Errors.isRetryable(s3(503, "SlowDown", "")));
    assertFalse(S3Errors.isRetryable(s3(403, "AccessDenied", "")));
  }

  static Stream<Arguments> retriedFailures() {
    return Stream.of(
        Arguments.of(s3(503, "SlowDown", "Please reduce your request rate"), RetryCause.THROTTLED),
        Arguments.of(s3(429, "TooManyRequests", ""), RetryCause.THROTTLED),
        Arguments.of(s3(403, "ExceedAccountQPSLimit", ""), RetryCause.THROTTLED),
        Arguments.of(s3(500, "InternalError", ""), RetryCause.SERVER),
        Arguments.of(s3(502, null, ""), RetryCause.SERVER),
        Arguments.of(s3(400, "RequestTimeout", ""), RetryCause.TIMEOUT),
        Arguments.of(
            SdkClientException.create(
                "Unable to execute HTTP request: Read timed out",
                new java.net.SocketTimeoutException("Read timed out")),
            RetryCause.TIMEOUT),
        Arguments.of(new S3Errors.TruncatedBodyException(100, 40), RetryCause.TRUNCATED),
        Arguments.of(
            new org.apache.http.ConnectionClosedException(
                "Premature end of Content-Length delimited message"
                    + " body (expected: 100; received: 40)"),
            RetryCause.TRUNCATED),
        Arguments.of(new java.net.SocketException("Connection reset"), RetryCause.CONNECTION),
        Arguments.of(
            SdkClientException.create(
                "Unable to execute HTTP request: Connection refused",
                new java.net.ConnectException("Connection refused")),
            RetryCause.CONNECTION));
  }

  @ParameterizedTest
  @MethodSource("retriedFailures")
  void eachRetriedFailureIsCountedUnderOneCause(Exception failure, RetryCause cause) {
    assertTrue(S3Errors.isRetryable(failure), failure.toString());
    assertEquals(cause, S3Errors.retryCause(failure));
  }

  @Test
  void anSdkFailureWhoseCauseHasNoMessageIsToldInPlainWords() {
    SdkClientException eof =
        SdkClientException.create(
            "Unable to execute HTTP request: null", new java.io.EOFException());
    SdkClientException other =
        SdkClientException.create(
            "Unable to execute HTTP request: null", new IllegalStateException());

    assertEquals(
        URI
            + ": Unable to execute HTTP request: the connection ended before a whole answer came (a"
            + " Content-Length that does not match the body, or a proxy that cut the connection)",
        S3Errors.describe(eof, URI));
    assertEquals(
        URI + ": Unable to execute HTTP request: IllegalStateException without a message",
        S3Errors.describe(other, URI));
  }

  @Test
  void aKeyAndAServerMessageCannotBreakTheLine() {
    String forged = "tos://b/evil\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified";

    assertEquals(
        "tos://b/evil\\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified: HTTP 500 InternalError"
            + " (we failed\\nFAILED nothing)",
        S3Errors.describe(s3(500, "InternalError", "we failed\nFAILED nothing"), forged));
    assertEquals(
        "tos://b/evil\\nmodel-prefetch: 1 model(s), 6 object(s): 6 verified: reset\\nby peer",
        S3Errors.describe(new IOException("reset\nby peer"), forged));
  }

  @Test
  void aNonS3AnswerIsSaidOnceWithoutTheSdksAttemptCount() {
    String notS3 =
        ListingAnswers.notS3(
            "http://127.0.0.1:9000", "ListObjectsV2", 200, "text/html", "<html>\n<title>Log in");
    SdkClientException e = SdkClientException.create(notS3 + " (SDK Attempt Count: 1)");

    assertEquals(
        "the endpoint http://127.0.0.1:9000 did not answer as S3: ListObjectsV2 got HTTP 200 with Content-Type"
            + " 'text/html' and a body starting '<html>\\n<title>Log in' instead of S3's XML; check the endpoint URL, and any"
            + " proxy or login page (a captive portal) between this machine and the store",
        notS3);
    assertEquals(URI + ": " + notS3, S3Errors.describe(e, URI));
    assertFalse(S3Errors.isRetryable(new IllegalStateException(notS3)));
  }
}
