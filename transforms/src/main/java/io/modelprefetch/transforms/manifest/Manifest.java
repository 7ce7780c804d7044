package io.modelprefetch.transforms.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A manifest of models, in YAML or JSON:
 *
 * <pre>
 * localDir: /models            # optional, overridden by --local-dir
 * models:
 *   - uri: tos://bucket/models/llama-2-7b-hf/
 *     name: llama-2-7b-hf      # optional
 *     include: ["*.safetensors", "*.json"]
 *     exclude: ["*.bin"]
 *     sha256:                  # optional: expected digests by relative path
 *       config.json: 5d41402abc4b2a76b9719d911017c592...
 * </pre>
 */
public record Manifest(
    @JsonProperty("localDir") @Nullable String localDir,
    @JsonProperty("models") List<Entry> models) {

  /** One model of the manifest. */
  public record Entry(
      @JsonProperty("uri") String uri,
      @JsonProperty("name") @Nullable String name,
      @JsonProperty("include") @Nullable List<String> include,
      @JsonProperty("exclude") @Nullable List<String> exclude,
      @JsonProperty("sha256") @Nullable Map<String, String> sha256) {

    public Entry(
        String uri,
        @Nullable String name,
        @Nullable List<String> include,
        @Nullable List<String> exclude) {
      this(uri, name, include, exclude, null);
    }

    /** Expected SHA-256 digests by relative path; empty when none are given. */
    public Map<String, String> sha256OrEmpty() {
      return sha256 == null ? Map.of() : sha256;
    }

    public List<String> includeOrEmpty() {
      return include == null ? List.of() : include;
    }

    public List<String> excludeOrEmpty() {
      return exclude == null ? List.of() : exclude;
    }
  }

  /**
   * Reads and checks a manifest.
   *
   * @throws IllegalArgumentException one line naming the file, the line and what is wrong
   */
  public static Manifest read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("manifest " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("manifest " + file + " cannot be read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  /** Parses manifest text; {@code source} names it in errors. */
  public static Manifest parse(String text, String source) {
    if (text.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
      throw new IllegalArgumentException(
          "manifest " + source + " is empty; it needs a 'models:' list");
    }
    ObjectMapper mapper =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    Manifest manifest;
    try {
      manifest = mapper.readValue(text, Manifest.class);
    } catch (UnrecognizedPropertyException e) {
      String known =
          e.getKnownPropertyIds().stream()
              .map(String::valueOf)
              .sorted()
              .collect(Collectors.joining(", "));
      throw new IllegalArgumentException(
          "manifest "
              + source
              + keyLine(text, e.getPropertyName(), e.getLocation())
              + ": unknown key '"
              + e.getPropertyName()
              + "'; known keys here: "
              + known);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "manifest " + source + where(e.getLocation()) + ": " + firstLine(e.getOriginalMessage()));
    }
    if (manifest == null || manifest.models() == null || manifest.models().isEmpty()) {
      throw new IllegalArgumentException(
          "manifest " + source + " lists no model; add a 'models:' list with at least one 'uri:'");
    }
    for (int i = 0; i < manifest.models().size(); i++) {
      Entry entry = manifest.models().get(i);
      if (entry == null || entry.uri() == null || entry.uri().isBlank()) {
        throw new IllegalArgumentException(
            "manifest " + source + ": model " + (i + 1) + " has no 'uri'");
      }
      for (var digest : entry.sha256OrEmpty().entrySet()) {
        if (digest.getValue() == null || !digest.getValue().strip().matches("[0-9a-fA-F]{64}")) {
          throw new IllegalArgumentException(
              "manifest "
                  + source
                  + ": model "
                  + (i + 1)
                  + " sha256 of '"
                  + digest.getKey()
                  + "' is '"
                  + digest.getValue()
                  + "', not 64 hex digits");
        }
      }
    }
    return manifest;
  }

  /**
   * The line of an unknown key. The parser reports where it stopped, after the key's value, so the
   * key is looked up in the text; the parser's line is the fallback.
   */
  private static String keyLine(String text, String key, JsonLocation location) {
    Pattern line = Pattern.compile("^\\s*(?:-\\s+)?[\"']?" + Pattern.quote(key) + "[\"']?\\s*:");
    List<String> lines = text.lines().toList();
    int stop =
        location == null ? lines.size() : Math.min(lines.size(), Math.max(1, location.getLineNr()));
    for (int i = stop - 1; i >= 0; i--) {
      if (line.matcher(lines.get(i)).find()) {
        return " line " + (i + 1);
      }
    }
    return where(location);
  }

  private static String where(JsonLocation location) {
    return location == null || location.getLineNr() < 1 ? "" : " line " + location.getLineNr();
  }

  private static String firstLine(String message) {
    String m = message == null ? "cannot be parsed" : message.strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
