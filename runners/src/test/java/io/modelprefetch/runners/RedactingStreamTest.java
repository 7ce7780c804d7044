package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What passes the redacting stream: whole lines redacted, partial lines on flush, other bytes
 * unchanged.
 */
class RedactingStreamTest {

  private final ByteArrayOutputStream sink = new ByteArrayOutputStream();
  private final PrintStream out =
      RedactingStream.wrap(new PrintStream(sink, true, StandardCharsets.UTF_8), "no.such.property");

  private String written() {
    return sink.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aMultiLineMessageIsRedactedLineByLine() {
    out.println(
        "07:06:58.904 DEBUG DefaultV4RequestSigner - AWS4 Canonical Request: GET\n/models\n"
            + "x-amz-date:20261202T070658Z\nx-amz-security-token:IQoJb3JpZ2luX2VjEtok\n\nhost;x-amz-security-token");

    assertEquals(
        "07:06:58.904 DEBUG DefaultV4RequestSigner - AWS4 Canonical Request: GET\n/models\n"
            + "x-amz-date:20261202T070658Z\nx-amz-security-token:[REDACTED]\n\nhost;x-amz-security-token\n",
        written());
  }

  @Test
  void aHeaderWrittenInPiecesIsRedactedOnceItsLineEnds() {
    out.print("DEBUG headers - http-outgoing-0 >> X-Amz-Secu");
    out.print("rity-Token: IQoJb3JpZ2luX2VjE");
    out.print("tok\n");

    assertEquals(
        "DEBUG headers - http-outgoing-0 >> X-Amz-Security-Token: [REDACTED]\n", written());
  }

  @Test
  void aLineRedrawnInPlaceReachesTheTerminalOnFlush() {
    out.print("\rmodel-prefetch: progress: m 1/3 files");
    out.flush();

    assertEquals("\rmodel-prefetch: progress: m 1/3 files", written());
  }

  @Test
  void textInAnyLanguagePassesByteForByte() {
    PrintStream utf8 = new PrintStream(new RedactingStream(sink), false, StandardCharsets.UTF_8);
    utf8.println("FAILED s3://models/caf\u00e9/\u914d\u7f6e.json: refused");

    assertEquals("FAILED s3://models/caf\u00e9/\u914d\u7f6e.json: refused\n", written());
  }
}
