package io.modelprefetch.runners;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The AIBrix {@code --download-extra-config} JSON object. Its {@code ak} and {@code sk} are secrets:
 * they are never echoed, not even in parse errors.
 */
record ExtraConfig(
    String ak,
    String sk,
    String endpoint,
    String region,
    Integer numThreads,
    Long partThreshold,
    Long partChunksize,
    List<String> allowFileSuffix,
    Boolean forceDownload) {

  static final ExtraConfig NONE = new ExtraConfig(null, null, null, null, null, null, null, null, null);

  private static final String SOURCE = "--download-extra-config";
  private static final Set<String> KEYS = Set.of("ak", "sk", "endpoint", "region", "num_threads", "part_threshold",
      "part_chunksize", "allow_file_suffix", "force_download");
  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

  static ExtraConfig parse(String json) {
    if (json == null || json.isBlank()) {
      return NONE;
    }
    JsonNode root;
    try (JsonParser parser = JSON.createParser(json)) {
      root = JSON.readTree(parser);
      if (parser.nextToken() != null) {
        throw new UsageException(SOURCE + " has text after its JSON object; give one object");
      }
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new UsageException(SOURCE + " is not valid JSON"
          + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
          + "; give an object such as {\"endpoint\": \"https://tos-s3-cn-beijing.volces.com\", \"num_threads\": 8}");
    } catch (java.io.IOException e) {
      throw new UsageException(SOURCE + " cannot be read: " + e.getClass().getSimpleName());
    }
    if (root == null || !root.isObject()) {
      throw new UsageException(SOURCE + " must be a JSON object such as {\"num_threads\": 8}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      String key = it.next().getKey();
      if (!KEYS.contains(key)) {
        throw new UsageException(SOURCE + " has unknown key '" + key + "'; known keys: "
            + String.join(", ", KEYS.stream().sorted().toList()));
      }
    }
    return new ExtraConfig(
        text(root, "ak"),
        text(root, "sk"),
        text(root, "endpoint"),
        text(root, "region"),
        root.has("num_threads") ? Values.count(SOURCE + " num_threads", raw(root, "num_threads"), 1, 1024) : null,
        root.has("part_threshold") ? Values.size(SOURCE + " part_threshold", raw(root, "part_threshold")) : null,
        root.has("part_chunksize") ? Values.size(SOURCE + " part_chunksize", raw(root, "part_chunksize")) : null,
        root.has("allow_file_suffix") ? suffixes(root.get("allow_file_suffix")) : null,
        root.has("force_download") ? Values.bool(SOURCE + " force_download", raw(root, "force_download")) : null);
  }

  private static String text(JsonNode root, String key) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new UsageException(SOURCE + " key '" + key + "' must be a string");
    }
    return node.asText();
  }

  private static String raw(JsonNode root, String key) {
    JsonNode node = root.get(key);
    if (!node.isValueNode() || node.isNull()) {
      throw new UsageException(SOURCE + " key '" + key + "' must be a number, a string or a boolean");
    }
    return node.asText();
  }

  private static List<String> suffixes(JsonNode node) {
    if (node.isTextual()) {
      return Values.list(node.asText());
    }
    if (node.isArray()) {
      List<String> out = new ArrayList<>();
      node.forEach(n -> out.add(n.asText()));
      return out;
    }
    throw new UsageException(SOURCE + " key 'allow_file_suffix' must be a list or a comma-separated string");
  }

  @Override
  public String toString() {
    return "ExtraConfig[endpoint=" + endpoint + ", region=" + region + ", credentials=" + (ak == null ? "none" : "given") + "]";
  }
}
