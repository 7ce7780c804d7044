package io.modelprefetch.runners;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelprefetch.transforms.model.ObjectUri;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * {@code --config FILE}: the settings people keep per cluster, in YAML. Below the flags and the
 * environment, above the defaults. Holds no secret: keys belong in the environment.
 *
 * <pre>
 * s3:  {endpoint: http://minio.local:9000, region: us-east-1}
 * tos: {endpoint: https://tos-s3-cn-beijing.ivolces.com, region: cn-beijing}
 * addressing: auto
 * partSize: 64MiB
 * partThreshold: 64MiB
 * numThreads: 16
 * localDir: /models
 * runner: direct
 * parallelism: 8
 * </pre>
 *
 * Every value is null when the file does not set it.
 */
record ClusterConfig(
    @Nullable String s3Endpoint,
    @Nullable String s3Region,
    @Nullable String tosEndpoint,
    @Nullable String tosRegion,
    @Nullable String addressing,
    @Nullable String partSize,
    @Nullable String partThreshold,
    @Nullable Integer numThreads,
    @Nullable String localDir,
    @Nullable String runner,
    @Nullable Integer parallelism) {

  static final ClusterConfig NONE =
      new ClusterConfig(null, null, null, null, null, null, null, null, null, null, null);

  private static final List<String> TOP_KEYS =
      List.of(
          "s3",
          "tos",
          "addressing",
          "partSize",
          "partThreshold",
          "numThreads",
          "localDir",
          "runner",
          "parallelism");
  private static final List<String> ENDPOINT_KEYS = List.of("endpoint", "region");
  private static final Set<String> SECRET_KEYS =
      Set.of(
          "ak",
          "sk",
          "accesskey",
          "secretkey",
          "accesskeyid",
          "secretaccesskey",
          "sessiontoken",
          "securitytoken",
          "token",
          "password",
          "secret");

  /** The endpoint the file gives for {@code scheme}, or null. */
  @Nullable String endpoint(ObjectUri.Scheme scheme) {
    return scheme == ObjectUri.Scheme.TOS ? tosEndpoint : s3Endpoint;
  }

  /** The region the file gives for {@code scheme}, or null. */
  @Nullable String region(ObjectUri.Scheme scheme) {
    return scheme == ObjectUri.Scheme.TOS ? tosRegion : s3Region;
  }

  /** Reads {@code file}, or returns {@link #NONE} when it is null. */
  static ClusterConfig read(@Nullable Path file) {
    if (file == null) {
      return NONE;
    }
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new UsageException("--config " + file + " does not exist");
    } catch (IOException e) {
      throw new UsageException("--config " + file + " cannot be read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses config text; {@code source} names it in errors. */
  static ClusterConfig parse(String text, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(text);
    } catch (JacksonException e) {
      String line =
          e.getLocation() == null || e.getLocation().getLineNr() < 1
              ? ""
              : " line " + e.getLocation().getLineNr();
      String message =
          e.getOriginalMessage() == null
              ? ""
              : e.getOriginalMessage().lines().findFirst().orElse("");
      throw new UsageException("--config " + source + line + " is not valid YAML: " + message);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return NONE;
    }
    if (!root.isObject()) {
      throw new UsageException(
          "--config " + source + " must be a YAML mapping such as 'numThreads: 16'");
    }
    checkKeys(root, TOP_KEYS, "", text, source);
    JsonNode s3 = section(root, "s3", text, source);
    JsonNode tos = section(root, "tos", text, source);
    return new ClusterConfig(
        string(s3, "s3.endpoint", "endpoint", text, source),
        string(s3, "s3.region", "region", text, source),
        string(tos, "tos.endpoint", "endpoint", text, source),
        string(tos, "tos.region", "region", text, source),
        oneOf(
            root,
            "addressing",
            List.of("auto", "virtual", "virtual-hosted", "path", "path-style"),
            "is not auto, virtual or path",
            text,
            source),
        sizeText(root, "partSize", text, source, Values::partSize),
        sizeText(root, "partThreshold", text, source, Values::size),
        integer(root, "numThreads", 1024, text, source),
        string(root, "localDir", "localDir", text, source),
        oneOf(
            root,
            "runner",
            List.of("direct", "directrunner", "flink", "flinkrunner"),
            "is not direct or flink",
            text,
            source),
        integer(root, "parallelism", 4096, text, source));
  }

  private static @Nullable JsonNode section(
      JsonNode root, String name, String text, String source) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw new UsageException(
          "--config "
              + source
              + line(text, name)
              + ": '"
              + name
              + "' must be a mapping such as '"
              + name
              + ": {endpoint: https://..., region: ...}'");
    }
    checkKeys(node, ENDPOINT_KEYS, name + ".", text, source);
    return node;
  }

  private static void checkKeys(
      JsonNode node, List<String> known, String path, String text, String source) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      String key = it.next().getKey();
      if (SECRET_KEYS.contains(key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", ""))) {
        throw new UsageException(
            "--config "
                + source
                + line(text, key)
                + ": '"
                + path
                + key
                + "' looks like a secret; secrets belong in the environment (TOS_ACCESS_KEY/TOS_SECRET_KEY,"
                + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), never in a config file");
      }
      if (!known.contains(key)) {
        throw new UsageException(
            "--config "
                + source
                + line(text, key)
                + ": unknown key '"
                + path
                + key
                + "'; known keys here: "
                + String.join(", ", known));
      }
    }
  }

  private static @Nullable String string(
      @Nullable JsonNode node, String name, String field, String text, String source) {
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isValueNode()) {
      throw new UsageException(
          "--config " + source + line(text, field) + ": '" + name + "' must be a single value");
    }
    return value.asText();
  }

  /**
   * A value that must be one of {@code allowed} (any case), named by its file, line and key when
   * not.
   */
  private static @Nullable String oneOf(
      JsonNode node,
      String name,
      List<String> allowed,
      String problem,
      String text,
      String source) {
    String value = string(node, name, name, text, source);
    if (value != null && !allowed.contains(value.strip().toLowerCase(Locale.ROOT))) {
      throw new UsageException(
          "--config " + source + line(text, name) + ": " + name + " '" + value + "' " + problem);
    }
    return value;
  }

  /** The text of a size, checked by {@code check} as given by its file, line and key. */
  private static @Nullable String sizeText(
      JsonNode node,
      String name,
      String text,
      String source,
      java.util.function.ToLongBiFunction<String, String> check) {
    String value = string(node, name, name, text, source);
    if (value != null) {
      check.applyAsLong("--config " + source + line(text, name) + ": " + name, value);
    }
    return value;
  }

  private static @Nullable Integer integer(
      JsonNode node, String name, int max, String text, String source) {
    String value = string(node, name, name, text, source);
    return value == null
        ? null
        : Values.count("--config " + source + line(text, name) + ": " + name, value, 1, max);
  }

  /** The line of {@code key}'s first occurrence as a mapping key, as " line N", or "". */
  private static String line(String text, String key) {
    Pattern pattern = Pattern.compile("^\\s*(?:-\\s+)?[\"']?" + Pattern.quote(key) + "[\"']?\\s*:");
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (pattern.matcher(lines.get(i)).find()) {
        return " line " + (i + 1);
      }
    }
    return "";
  }
}
