package io.modelprefetch.runners;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import io.modelprefetch.transforms.plan.RangePlanner;
import io.modelprefetch.transforms.s3.EndpointResolver;
import io.modelprefetch.transforms.verify.Verification;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Parses option and environment values, naming the input in every error. */
final class Values {

  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);

  private Values() {}

  /**
   * Bytes, or a size with a binary unit: {@code 67108864}, {@code 64MiB}, {@code 64M}, {@code 1g}.
   */
  static long size(String source, String value) {
    Matcher m = SIZE.matcher(value.strip());
    if (!m.matches()) {
      throw new UsageException(
          source + " '" + value + "' is not a size; give bytes (67108864) or a size such as 64MiB");
    }
    long unit =
        switch (m.group(2) == null ? "" : m.group(2).substring(0, 1).toLowerCase(Locale.ROOT)) {
          case "k" -> 1L << 10;
          case "m" -> 1L << 20;
          case "g" -> 1L << 30;
          case "t" -> 1L << 40;
          default -> 1L;
        };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new UsageException(source + " '" + value + "' is too large");
    }
  }

  /**
   * A part size ({@link #size}) of at least {@link RangePlanner#MIN_PART_SIZE_BYTES}; {@code
   * source} (the flag, variable or file key that carried it) is named when it is smaller.
   */
  static long partSize(String source, String value) {
    long bytes = size(source, value);
    if (bytes < RangePlanner.MIN_PART_SIZE_BYTES) {
      throw new UsageException(
          source
              + " '"
              + value
              + "' is below the smallest part size, 1MiB ("
              + RangePlanner.MIN_PART_SIZE_BYTES
              + " bytes); give 1MiB or more, e.g. 64MiB");
    }
    return bytes;
  }

  static int count(String source, String value, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new UsageException(
          source
              + " '"
              + value
              + "' is not a whole number; give a number from "
              + min
              + " to "
              + max);
    }
    return checkRange(source, n, min, max);
  }

  static int checkRange(String source, int n, int min, int max) {
    if (n < min || n > max) {
      throw new UsageException(source + " is " + n + "; give a number from " + min + " to " + max);
    }
    return n;
  }

  /** {@code 1/0}, {@code true/false}, {@code yes/no}, {@code on/off}, any case. */
  static boolean bool(String source, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> true;
      case "0", "false", "no", "off", "" -> false;
      default ->
          throw new UsageException(
              source + " '" + value + "' is not a boolean; give 1 or 0 (true or false)");
    };
  }

  /** A switch: {@code on/off}, {@code true/false}, {@code 1/0} or {@code yes/no}, any case. */
  static boolean onOff(String source, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "on", "true", "1", "yes" -> true;
      case "off", "false", "0", "no" -> false;
      default ->
          throw new UsageException(
              source + " '" + value + "' is neither on nor off; give on or off");
    };
  }

  /** {@code full} or {@code size}, any case. */
  static Verification verification(String source, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "full" -> Verification.FULL;
      case "all" -> Verification.ALL;
      case "size" -> Verification.SIZE;
      default ->
          throw new UsageException(
              source
                  + " '"
                  + value
                  + "' is not a verification level; give full (the"
                  + " cheapest digest the store keeps), all (every digest) or size (sizes only)");
    };
  }

  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

  /** A duration: {@code 90s}, {@code 30m}, {@code 2h}, {@code 500ms}; a bare number is seconds. */
  static java.time.Duration duration(String source, String value) {
    Matcher m = DURATION.matcher(value.strip());
    if (!m.matches()) {
      throw new UsageException(
          source + " '" + value + "' is not a duration; give e.g. 90s, 30m or 2h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> java.time.Duration.ofMillis(n);
      case "m" -> java.time.Duration.ofMinutes(n);
      case "h" -> java.time.Duration.ofHours(n);
      default -> java.time.Duration.ofSeconds(n);
    };
  }

  /** {@code auto} (null), {@code virtual} or {@code path}, any case; null when not given. */
  static EndpointResolver.@Nullable Addressing addressing(String source, @Nullable String value) {
    if (value == null) {
      return null;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "auto" -> null;
      case "virtual", "virtual-hosted" -> EndpointResolver.Addressing.VIRTUAL_HOSTED;
      case "path", "path-style" -> EndpointResolver.Addressing.PATH_STYLE;
      default -> throw new UsageException(source + " '" + value + "' is not auto, virtual or path");
    };
  }

  /**
   * A comma-separated list as AIBrix reads {@code DOWNLOADER_ALLOW_FILE_SUFFIX} ({@code
   * _parse_list_str} in aibrix/envs.py: {@code [item.strip() for item in value.split(",")]}): every
   * item kept, empty ones too ({@code "json,"} is {@code json} and the empty suffix, which keeps
   * every file).
   */
  static List<String> aibrixList(String value) {
    return Arrays.stream(value.split(",", -1)).map(String::strip).toList();
  }

  /**
   * Binds a JSON or YAML scalar (a string, a number or a boolean) to its text as Jackson's tree
   * reads it ({@code 8} and {@code "8"} alike), for a value that {@link Values} then checks and
   * names; a list or a mapping is a {@link
   * com.fasterxml.jackson.databind.exc.MismatchedInputException} at the key's path.
   */
  static final class ScalarText extends StdDeserializer<String> {
    ScalarText() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      if (!parser.currentToken().isScalarValue()) {
        return (String) context.handleUnexpectedToken(String.class, parser);
      }
      return parser.<JsonNode>readValueAsTree().asText();
    }
  }
}
