package io.modelprefetch.transforms.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every form a credential takes in the SDK's and the Apache client's logs comes out redacted. */
class RedactionTest {

  private static final String AUTHORIZATION =
      "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261202/us-east-1/s3/aws4_request,"
          + " SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
          + " Signature=9d16d454becc65f1668395c33356b827ce3ae05290cef32245d6a27c3d084999";

  @Test
  void apacheHeaderAndWireLinesLoseTheHeaderValues() {
    assertEquals(
        "07:06:59.086 DEBUG headers - http-outgoing-0 >> Authorization: [REDACTED]",
        Redaction.redact(
            "07:06:59.086 DEBUG headers - http-outgoing-0 >> Authorization: " + AUTHORIZATION));
    assertEquals(
        "07:06:59.086 DEBUG wire - http-outgoing-0 >> \"Authorization: [REDACTED][\\r][\\n]\"",
        Redaction.redact(
            "07:06:59.086 DEBUG wire - http-outgoing-0 >> \"Authorization: "
                + AUTHORIZATION
                + "[\\r][\\n]\""));
    assertEquals(
        "07:06:59.086 DEBUG headers - http-outgoing-0 >> X-Amz-Security-Token: [REDACTED]",
        Redaction.redact(
            "07:06:59.086 DEBUG headers - http-outgoing-0 >> X-Amz-Security-Token: IQoJb3JpZ2luX2VjE/token+="));
    assertEquals(
        "07:06:59.086 DEBUG wire - http-outgoing-0 >> \"X-Amz-Security-Token: [REDACTED][\\r][\\n]\"",
        Redaction.redact(
            "07:06:59.086 DEBUG wire - http-outgoing-0 >> \"X-Amz-Security-Token: IQoJb3JpZ2luX2VjE/tok[\\r][\\n]\""));
  }

  @Test
  void theSignersCanonicalRequestLosesTheTokenButKeepsTheSignedHeaderNames() {
    assertEquals(
        "x-amz-security-token:[REDACTED]",
        Redaction.redact("x-amz-security-token:IQoJb3JpZ2luX2VjE"));
    String signedHeaders =
        "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-content-sha256;x-amz-date;x-amz-security-token";
    assertSame(signedHeaders, Redaction.redact(signedHeaders));
  }

  @Test
  void presignedAndTosQueryParametersLoseTheirValues() {
    assertEquals(
        "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]"
            + "&X-Amz-Security-Token=[REDACTED] HTTP/1.1",
        Redaction.redact(
            "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261202%2Fus-east-1"
                + "&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=IQo%2Btok HTTP/1.1"));
    assertEquals(
        "?X-Tos-Credential=[REDACTED]&X-Tos-Signature=[REDACTED]&X-Tos-Security-Token=[REDACTED]",
        Redaction.redact(
            "?X-Tos-Credential=AKLT/cn-beijing&X-Tos-Signature=0f0f&X-Tos-Security-Token=STS2tok"));
    assertEquals(
        "x-tos-security-token: [REDACTED]",
        Redaction.redact("x-tos-security-token: STS2eyJhbGciOi"));
    assertEquals(
        "?AWSAccessKeyId=[REDACTED]&Signature=[REDACTED]&Expires=1",
        Redaction.redact("?AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1"));
  }

  @Test
  void aSecretThisProcessHoldsIsHiddenWhereverItAppears() {
    Redaction.addSecretsOf(
        Map.of("TOS_SECRET_KEY", "tos-secret-0123456789", "PATH", "/usr/bin:/bin"));
    Redaction.addSecret("short"); // too short to search for

    assertEquals(
        "credentials(ak, [REDACTED]) short /usr/bin:/bin",
        Redaction.redact("credentials(ak, tos-secret-0123456789) short /usr/bin:/bin"));
  }

  @Test
  void ordinaryLinesAreLeftAlone() {
    String line =
        "model-prefetch: 1 model(s), 6 object(s): 6 verified, 0 already present, 0 failed; Authorization header"
            + " names, SignedHeaders=host";
    assertSame(line, Redaction.redact(line));
  }
}
