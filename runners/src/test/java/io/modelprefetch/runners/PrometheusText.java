package io.modelprefetch.runners;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, as node_exporter's textfile
 * collector reads it (Prometheus' expfmt text parser): it fails on anything that parser refuses,
 * and on what the textfile collector refuses on top (timestamps).
 *
 * <ul>
 *   <li>{@code # HELP name text} (text escapes {@code \\} and {@code \n} only) and {@code # TYPE
 *       name counter|gauge|histogram|summary|untyped}, at most once per family, TYPE before the
 *       family's first sample; other {@code #} lines are comments;
 *   <li>a sample is {@code name[{label="value",...}] value}: names {@code
 *       [a-zA-Z_:][a-zA-Z0-9_:]*}, label names {@code [a-zA-Z_][a-zA-Z0-9_]*} (not {@code
 *       __}-prefixed), label values escaping {@code \\}, {@code \"} and {@code \n} only, each label
 *       once, a float value ({@code NaN}, {@code +Inf}, {@code -Inf} too);
 *   <li>a family's samples are contiguous, and no two have the same name and labels;
 *   <li>the text ends with a newline.
 * </ul>
 */
final class PrometheusText {

  /** One sample: its name, labels (sorted by name) and value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  /** One metric family: name, type, help and samples. */
  record Family(String name, String type, String help, List<Sample> samples) {}

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
  private static final Pattern TYPE =
      Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
  private static final Pattern VALUE =
      Pattern.compile("[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?|Inf|NaN)");

  private PrometheusText() {}

  /**
   * Parses {@code text}; throws {@link IllegalArgumentException} naming the line at the first
   * error.
   */
  static Map<String, Family> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the text does not end with a newline");
    }
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> helps = new LinkedHashMap<>();
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    Set<String> closed = new HashSet<>();
    Set<String> seen = new HashSet<>();
    String current = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String at = "line " + (i + 1) + " '" + line + "': ";
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher help = HELP.matcher(line);
        Matcher type = TYPE.matcher(line);
        if (line.startsWith("# HELP ")) {
          if (!help.matches()) {
            throw new IllegalArgumentException(at + "malformed HELP");
          }
          checkHelpEscapes(help.group(2), at);
          if (helps.put(help.group(1), help.group(2)) != null) {
            throw new IllegalArgumentException(at + "second HELP for " + help.group(1));
          }
        } else if (line.startsWith("# TYPE ")) {
          if (!type.matches()) {
            throw new IllegalArgumentException(at + "malformed TYPE");
          }
          if (types.put(type.group(1), type.group(2)) != null) {
            throw new IllegalArgumentException(at + "second TYPE for " + type.group(1));
          }
          if (samples.containsKey(type.group(1))) {
            throw new IllegalArgumentException(at + "TYPE after the family's samples");
          }
        }
        continue;
      }
      Sample sample = sample(line, at);
      String family = familyOf(sample.name(), types);
      if (!family.equals(current)) {
        if (current != null) {
          closed.add(current);
        }
        if (closed.contains(family)) {
          throw new IllegalArgumentException(at + "samples of " + family + " are not contiguous");
        }
        current = family;
      }
      if (!seen.add(sample.name() + sample.labels())) {
        throw new IllegalArgumentException(at + "a second sample with the same name and labels");
      }
      samples.computeIfAbsent(family, k -> new ArrayList<>()).add(sample);
    }
    Map<String, Family> families = new LinkedHashMap<>();
    for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
      families.put(
          e.getKey(),
          new Family(
              e.getKey(),
              types.getOrDefault(e.getKey(), "untyped"),
              helps.get(e.getKey()),
              List.copyOf(e.getValue())));
    }
    return families;
  }

  /**
   * The family a sample belongs to: its TYPE'd name, or for histograms and summaries their base
   * name.
   */
  private static String familyOf(String name, Map<String, String> types) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || "summary".equals(type)) {
          return base;
        }
      }
    }
    return name;
  }

  private static Sample sample(String line, String at) {
    Matcher name = NAME.matcher(line);
    if (!name.lookingAt()) {
      throw new IllegalArgumentException(at + "no metric name");
    }
    int i = name.end();
    Map<String, String> labels = new TreeMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        Matcher label = LABEL_NAME.matcher(line).region(i, line.length());
        if (!label.lookingAt()) {
          throw new IllegalArgumentException(at + "bad label name at column " + (i + 1));
        }
        String labelName = label.group();
        if (labelName.startsWith("__")) {
          throw new IllegalArgumentException(at + "reserved label name " + labelName);
        }
        i = label.end();
        if (!line.startsWith("=\"", i)) {
          throw new IllegalArgumentException(at + "expected =\" at column " + (i + 1));
        }
        i += 2;
        StringBuilder value = new StringBuilder();
        while (true) {
          if (i >= line.length()) {
            throw new IllegalArgumentException(at + "unterminated label value");
          }
          char c = line.charAt(i++);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            char escaped = i < line.length() ? line.charAt(i++) : ' ';
            switch (escaped) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default ->
                  throw new IllegalArgumentException(
                      at + "invalid escape \\" + escaped + " in a label value");
            }
          } else {
            value.append(c);
          }
        }
        if (labels.put(labelName, value.toString()) != null) {
          throw new IllegalArgumentException(at + "label " + labelName + " given twice");
        }
        if (line.charAt(i) == ',') {
          i++;
        } else if (line.charAt(i) != '}') {
          throw new IllegalArgumentException(at + "expected , or } at column " + (i + 1));
        }
      }
      i++;
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw new IllegalArgumentException(at + "expected a space before the value");
    }
    String[] rest = line.substring(i + 1).strip().split("\\s+");
    if (rest.length != 1) {
      throw new IllegalArgumentException(
          at
              + (rest.length == 2
                  ? "a timestamp, which the textfile collector refuses"
                  : "expected one value"));
    }
    if (!VALUE.matcher(rest[0]).matches()) {
      throw new IllegalArgumentException(at + "'" + rest[0] + "' is not a float value");
    }
    double value =
        rest[0].endsWith("Inf")
            ? (rest[0].startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
            : Double.parseDouble(rest[0]);
    return new Sample(line.substring(0, name.end()), labels, value);
  }

  private static void checkHelpEscapes(String help, String at) {
    for (int i = 0; i < help.length(); i++) {
      if (help.charAt(i) == '\\') {
        char next = i + 1 < help.length() ? help.charAt(i + 1) : ' ';
        if (next != '\\' && next != 'n') {
          throw new IllegalArgumentException(at + "invalid escape \\" + next + " in HELP");
        }
        i++;
      }
    }
  }
}
