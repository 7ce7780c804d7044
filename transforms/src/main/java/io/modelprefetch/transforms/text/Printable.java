package io.modelprefetch.transforms.text;

/**
 * Object keys and paths as they may be printed on one line of a log, a progress line or a message.
 *
 * <p>An object key is chosen by whoever writes to the bucket: a key holding a newline could forge a
 * line such as a run's summary in the log a cron job keeps, and bidirectional controls can make a
 * name read as another. {@link #escape} makes every such character visible instead. Strings inside
 * the JSON report stay exact (JSON escapes them itself).
 */
public final class Printable {

  private Printable() {}

  /**
   * {@code text} with every character that could break or disguise a line written visibly: the
   * backslash as {@code \\}; tab, newline and carriage return as {@code \t}, {@code \n}, {@code
   * \r}; other C0 and C1 controls and DEL as {@code \xNN}; the Unicode line and paragraph
   * separators and bidirectional formatting characters as <code>&#92;u{NNNN}</code>. Any other
   * text, non-ASCII letters included, is kept. Null stays null.
   */
  public static String escape(String text) {
    return escape(text, true);
  }

  /**
   * {@code text} (a message that may quote an outside text, such as a server's error message or an
   * exception's) on one line: as {@link #escape}, but a backslash is kept as it is, so a message
   * whose keys were escaped already is left unchanged. Null stays null.
   */
  public static String oneLine(String text) {
    return escape(text, false);
  }

  private static String escape(String text, boolean backslash) {
    if (text == null || !needsEscape(text, backslash)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append(backslash ? "\\\\" : "\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            out.append(String.format("\\x%02x", (int) c));
          } else if (isInvisibleFormat(c)) {
            out.append(String.format("\\u{%04x}", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static boolean needsEscape(String text, boolean backslash) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((backslash && c == '\\')
          || c < 0x20
          || (c >= 0x7f && c <= 0x9f)
          || isInvisibleFormat(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
   */
  private static boolean isInvisibleFormat(char c) {
    return c == '\u2028'
        || c == '\u2029'
        || c == '\u200e'
        || c == '\u200f'
        || c == '\u061c'
        || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069');
  }
}
