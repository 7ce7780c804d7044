package io.modelprefetch.transforms.structure;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.regex.Pattern;

/** Streaming JSON reading shared by the structural checks: strict UTF-8, positions in messages. */
final class Json {

  /** Bytes looked at before parsing, to refuse what Jackson would accept but the loaders refuse. */
  private static final int PEEK_BYTES = 4;

  private static final Pattern SOURCE =
      Pattern.compile("\\[Source: [^;]*; line: (\\d+), column: (\\d+)]");

  private Json() {}

  /**
   * A factory whose strings are bounded by {@code maxStringChars} (Jackson's default, 20 M chars,
   * would refuse long {@code __metadata__} values the safetensors reference accepts). Its parsers
   * leave their stream open: the caller owns it.
   *
   * <p>Field names are not interned ({@code String.intern}): each is read once, and a tokenizer's
   * vocabulary (800,000 distinct names, 17 MB) took 2.0 to 2.6 s to skip with interning against
   * 0.15 to 1.4 s without, on the shared 2-core machine. Canonicalization stays on: without it
   * Jackson parses through an {@code InputStreamReader}, which turns invalid UTF-8 into U+FFFD
   * silently.
   */
  static JsonFactory factory(int maxStringChars) {
    return JsonFactory.builder()
        .streamReadConstraints(
            StreamReadConstraints.builder().maxStringLength(maxStringChars).build())
        .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
        .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
        .build();
  }

  /**
   * A parser over {@code in} read as UTF-8. Jackson detects a byte order mark or the zero bytes of
   * UTF-16 and UTF-32 and decodes accordingly; safetensors (serde_json) and Python's {@code json}
   * on text read as UTF-8 (transformers) refuse those files, so they are refused here, as {@code
   * subject} ("the header", "the file") in the message.
   */
  static JsonParser open(JsonFactory factory, InputStream in, String subject)
      throws IOException, Broken {
    PushbackInputStream peeking = new PushbackInputStream(in, PEEK_BYTES);
    byte[] first = peeking.readNBytes(PEEK_BYTES);
    peeking.unread(first);
    if (startsWith(first, 0xEF, 0xBB, 0xBF)
        || startsWith(first, 0xFE, 0xFF)
        || startsWith(first, 0xFF, 0xFE)) {
      throw new Broken(
          subject
              + " starts with a byte order mark ("
              + hex(first)
              + "), which the JSON readers of "
              + "model loaders refuse: write it as UTF-8 without a byte order mark");
    }
    for (byte b : first) {
      if (b == 0) {
        throw new Broken(
            subject
                + " holds a zero byte in its first bytes ("
                + hex(first)
                + "): it is not UTF-8 JSON "
                + "(UTF-16 or UTF-32?), write it as UTF-8");
      }
    }
    return factory.createParser(peeking);
  }

  /** A Jackson parse error as one line: what is wrong, then where. */
  static String describe(JsonProcessingException e) {
    String what =
        SOURCE.matcher(String.valueOf(e.getOriginalMessage())).replaceAll("line $1, column $2");
    int newline = what.indexOf('\n');
    if (newline >= 0) {
      what = what.substring(0, newline);
    }
    JsonLocation at = e.getLocation();
    return at == null ? what : what + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
  }

  /**
   * What a value token is, for messages: {@code a string "F16"}, {@code a number 1.5}, {@code an
   * array}.
   */
  static String kind(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string \"" + p.getText() + "\"";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number " + p.getText();
      case VALUE_TRUE, VALUE_FALSE -> "a boolean " + p.getText();
      case VALUE_NULL -> "null";
      default -> t.asString() == null ? t.name() : t.asString();
    };
  }

  /**
   * A value as written for a scalar ({@code -1}, {@code 1.5}, {@code "2"}), else its {@link #kind}.
   */
  static String value(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_STRING) {
      return "\"" + p.getText() + "\"";
    }
    return t != null && t.isScalarValue() ? p.getText() : kind(p);
  }

  private static boolean startsWith(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      s.append(s.length() == 0 ? "" : " ").append(String.format("%02X", b & 0xFF));
    }
    return s.toString();
  }
}
