package io.modelprefetch.transforms.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fields of an S3 error document, read as XML. */
class SmallGetsTest {

  @Test
  void readsTheErrorsOwnFieldsWithEntitiesDecoded() {
    String body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
            + "<Message>The key &lt;a&amp;b&gt; does not exist.</Message><Key>a&amp;b</Key>"
            + "<RequestId>4442587FB7D0A2F9</RequestId></Error>";

    assertEquals(
        Map.of(
            "Code",
            "NoSuchKey",
            "Message",
            "The key <a&b> does not exist.",
            "RequestId",
            "4442587FB7D0A2F9"),
        SmallGets.errorFields(body));
  }

  @Test
  void aFieldNestedDeeperIsNotTheErrors() {
    String body = "<Error><Details><Code>Inner</Code></Details><Code>SlowDown</Code></Error>";

    assertEquals(Map.of("Code", "SlowDown"), SmallGets.errorFields(body));
  }

  @Test
  void anHtmlPageOrATruncatedBodyGivesWhatItHolds() {
    assertEquals(
        Map.of(), SmallGets.errorFields("<html><body><h1>Sign in</h1><p>portal</body></html>"));
    assertEquals(
        Map.of("Code", "InternalError"),
        SmallGets.errorFields("<Error><Code>InternalError</Code><Mess"));
    assertEquals(Map.of(), SmallGets.errorFields(""));
  }

  @Test
  void aDocumentTypeIsNotFollowed() {
    String body =
        "<!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>";

    assertEquals(Map.of(), SmallGets.errorFields(body));
  }
}
