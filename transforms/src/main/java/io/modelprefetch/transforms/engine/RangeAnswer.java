package io.modelprefetch.transforms.engine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Whether a GET's answer holds the bytes asked for. Checked on every range, whatever the
 * verification level: a cache or proxy that answers {@code 206} with other bytes than asked, or
 * {@code 200} with the whole object, would otherwise place wrong bytes at the range's offsets,
 * which only a digest could catch, and {@code --verify size} computes none.
 */
public final class RangeAnswer {

  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private RangeAnswer() {}

  /**
   * Why the answer to {@code Range: bytes=first-lastInclusive} of an object of {@code objectBytes}
   * does not hold those bytes, or null when it does.
   *
   * @param status the HTTP status: 206 must name exactly the bytes asked for in {@code
   *     Content-Range}; 200 is the whole object, right only when the range is the whole object
   * @param contentRange the {@code Content-Range} header, or null
   * @param contentLength the {@code Content-Length}, or null when the server sent none
   */
  public static @Nullable String problem(
      int status,
      @Nullable String contentRange,
      @Nullable Long contentLength,
      long first,
      long lastInclusive,
      long objectBytes) {
    String asked = "bytes=" + first + "-" + lastInclusive;
    long expected = lastInclusive - first + 1;
    if (status == 200) {
      if (first != 0 || lastInclusive != objectBytes - 1) {
        return "server answered "
            + asked
            + " with the whole object (HTTP 200"
            + lengthNote(contentLength)
            + "); it does not honour Range requests";
      }
    } else if (status == 206) {
      Matcher m = contentRange == null ? null : CONTENT_RANGE.matcher(contentRange.strip());
      if (m == null || !m.matches()) {
        return "server answered "
            + asked
            + " with HTTP 206 and Content-Range "
            + quoted(contentRange)
            + ", not bytes "
            + first
            + "-"
            + lastInclusive
            + "/"
            + objectBytes;
      }
      long from = Long.parseLong(m.group(1));
      long to = Long.parseLong(m.group(2));
      boolean totalOk = m.group(3).equals("*") || Long.parseLong(m.group(3)) == objectBytes;
      if (from != first || to != lastInclusive || !totalOk) {
        return "server answered "
            + asked
            + " with Content-Range "
            + quoted(contentRange)
            + ", not bytes "
            + first
            + "-"
            + lastInclusive
            + "/"
            + objectBytes;
      }
    } else {
      return "server answered " + asked + " with HTTP " + status + ", neither 200 nor 206";
    }
    if (contentLength != null && contentLength != expected) {
      return "server answered "
          + asked
          + " with "
          + contentLength
          + " bytes instead of "
          + expected
          + " (a Content-Length that does not match the range asked for)";
    }
    return null;
  }

  private static String lengthNote(@Nullable Long contentLength) {
    return contentLength == null ? "" : ", " + contentLength + " bytes";
  }

  private static String quoted(@Nullable String header) {
    return header == null ? "(none)" : "'" + header + "'";
  }
}
