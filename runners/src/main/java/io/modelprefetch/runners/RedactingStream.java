package io.modelprefetch.runners;

import io.modelprefetch.transforms.text.Redaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * The one place every line this process prints passes: {@code System.err} (slf4j-simple's target,
 * so every library's log at every level: the SDK's signing logs, the Apache client's header and
 * wire logs, Flink's and Beam's) and {@code System.out}. Each line is {@link Redaction#redact}ed
 * before it reaches the real stream.
 *
 * <p>Bytes are held until a line ends, then passed on at once; an explicit {@link #flush} passes on
 * what is held (a progress line redrawn in place ends in no newline). So a credential is redacted
 * as long as no flush splits its line, which no logger does. A line longer than {@link
 * #MAX_LINE_BYTES} is passed on in pieces. Lines are handled as ISO-8859-1, byte for byte, so text
 * in any encoding passes unchanged.
 */
final class RedactingStream extends OutputStream {

  static final int MAX_LINE_BYTES = 1 << 20;

  private final OutputStream out;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

  RedactingStream(OutputStream out) {
    this.out = out;
  }

  /**
   * Replaces {@code System.out} and {@code System.err} with redacting streams; call first in {@code
   * main}.
   */
  static void install() {
    System.setErr(wrap(System.err, "sun.stderr.encoding"));
    System.setOut(wrap(System.out, "sun.stdout.encoding"));
  }

  /**
   * A print stream that redacts into {@code stream}, encoding as the JVM encodes that stream; where
   * that is ASCII (a POSIX/C locale), in UTF-8 instead, so a key's non-ASCII letters reach a log
   * intact rather than as {@code ?}.
   */
  static PrintStream wrap(PrintStream stream, String encodingProperty) {
    String encoding = System.getProperty(encodingProperty);
    Charset charset =
        encoding == null || !Charset.isSupported(encoding)
            ? Charset.defaultCharset()
            : Charset.forName(encoding);
    if (charset.equals(StandardCharsets.US_ASCII)) {
      charset = StandardCharsets.UTF_8;
    }
    // Not auto-flushing: a print stream that does flushes after every write, which would pass a
    // line on in the pieces it was printed in. Lines pass when they end, the rest on an explicit
    // flush.
    return new PrintStream(new RedactingStream(stream), false, charset);
  }

  @Override
  public synchronized void write(int b) throws IOException {
    line.write(b);
    if (b == '\n' || line.size() >= MAX_LINE_BYTES) {
      pass();
    }
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
    int start = offset;
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      if (bytes[i] == '\n' || line.size() + (i - start) + 1 >= MAX_LINE_BYTES) {
        line.write(bytes, start, i + 1 - start);
        pass();
        start = i + 1;
      }
    }
    line.write(bytes, start, end - start);
  }

  @Override
  public synchronized void flush() throws IOException {
    pass();
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flush();
    out.close();
  }

  private void pass() throws IOException {
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.ISO_8859_1);
    line.reset();
    out.write(Redaction.redact(text).getBytes(StandardCharsets.ISO_8859_1));
  }
}
