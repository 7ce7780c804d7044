package io.modelprefetch.runners;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.modelprefetch.transforms.text.Printable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AIBrix {@code --download-extra-config} JSON object. Its {@code ak} and {@code sk} are
 * secrets: they are never echoed, not even in parse errors.
 *
 * <p>It takes exactly the keys AIBrix's {@code DownloadExtraConfig} dataclass has
 * (aibrix/downloader/base.py; AIBrix builds it as {@code DownloadExtraConfig(**json)}, so another
 * key fails there too). Those that mean something here are honoured; {@link #IGNORED} (the Hugging
 * Face settings and boto3's transfer tuning) are accepted with any value, so an existing job's
 * config keeps working, and named once in a debug line. A key whose value is {@code null} counts as
 * not given, as AIBrix's {@code value or environment} reads it.
 */
record ExtraConfig(
    @Nullable String ak,
    @Nullable String sk,
    @Nullable String endpoint,
    @Nullable String region,
    @Nullable Integer numThreads,
    @Nullable Long partThreshold,
    @Nullable Long partChunksize,
    @Nullable List<String> allowFileSuffix,
    @Nullable Boolean forceDownload,
    List<String> ignoredKeys) {

  static final ExtraConfig NONE =
      new ExtraConfig(null, null, null, null, null, null, null, null, null, List.of());

  private static final String SOURCE = "--download-extra-config";
  private static final Set<String> HONOURED =
      Set.of(
          "ak",
          "sk",
          "endpoint",
          "region",
          "num_threads",
          "part_threshold",
          "part_chunksize",
          "allow_file_suffix",
          "force_download");

  /**
   * AIBrix's keys that have no meaning here: {@code hf_endpoint}, {@code hf_token} and {@code
   * hf_revision} configure its Hugging Face source; {@code max_io_queue} and {@code io_chunksize}
   * tune boto3's {@code TransferConfig} ({@code S3BaseDownloader.download}, s3.py).
   */
  static final Set<String> IGNORED =
      Set.of("hf_endpoint", "hf_token", "hf_revision", "max_io_queue", "io_chunksize");

  private static final Logger LOG = LoggerFactory.getLogger(ExtraConfig.class);
  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

  static ExtraConfig parse(@Nullable String json) {
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
      throw new UsageException(
          SOURCE
              + " is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + "; give an object such as {\"endpoint\": \"https://tos-s3-cn-beijing.volces.com\", \"num_threads\": 8}");
    } catch (java.io.IOException e) {
      throw new UsageException(SOURCE + " cannot be read: " + e.getClass().getSimpleName());
    }
    if (root == null || !root.isObject()) {
      throw new UsageException(SOURCE + " must be a JSON object such as {\"num_threads\": 8}");
    }
    List<String> ignored = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      String key = it.next().getKey();
      if (IGNORED.contains(key)) {
        ignored.add(key);
      } else if (!HONOURED.contains(key)) {
        throw new UsageException(
            SOURCE
                + " has unknown key '"
                + Printable.escape(key)
                + "'; known keys: "
                + String.join(
                    ", ", Stream.concat(HONOURED.stream(), IGNORED.stream()).sorted().toList()));
      }
    }
    if (!ignored.isEmpty()) {
      // Names only: hf_token is a secret.
      LOG.debug(
          "{} keys {} are AIBrix settings with no meaning here (its Hugging Face source, boto3's transfer"
              + " tuning); ignored",
          SOURCE,
          ignored);
    }
    return new ExtraConfig(
        text(root, "ak"),
        text(root, "sk"),
        text(root, "endpoint"),
        text(root, "region"),
        given(root, "num_threads")
            ? Values.count(SOURCE + " num_threads", raw(root, "num_threads"), 1, 1024)
            : null,
        given(root, "part_threshold")
            ? Values.size(SOURCE + " part_threshold", raw(root, "part_threshold"))
            : null,
        given(root, "part_chunksize")
            ? Values.partSize(SOURCE + " part_chunksize", raw(root, "part_chunksize"))
            : null,
        given(root, "allow_file_suffix") ? suffixes(root.get("allow_file_suffix")) : null,
        given(root, "force_download")
            ? Values.bool(SOURCE + " force_download", raw(root, "force_download"))
            : null,
        List.copyOf(ignored));
  }

  private static boolean given(JsonNode root, String key) {
    return root.has(key) && !root.get(key).isNull();
  }

  private static @Nullable String text(JsonNode root, String key) {
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
      throw new UsageException(
          SOURCE + " key '" + key + "' must be a number, a string or a boolean");
    }
    return node.asText();
  }

  /**
   * A list is taken as it is, each item a suffix; an empty list counts as not given (AIBrix: {@code
   * allow_file_suffix or DOWNLOADER_ALLOW_FILE_SUFFIX}). A string is split on commas as the
   * variable is, where AIBrix would take each of its characters as a suffix.
   */
  private static @Nullable List<String> suffixes(JsonNode node) {
    if (node.isTextual()) {
      return Values.aibrixList(node.asText());
    }
    if (node.isArray()) {
      List<String> out = new ArrayList<>();
      for (JsonNode item : node) {
        if (!item.isTextual()) {
          throw new UsageException(
              SOURCE
                  + " key 'allow_file_suffix' has "
                  + item
                  + "; give a list of strings such as"
                  + " [\"json\", \"safetensors\"]");
        }
        out.add(item.asText());
      }
      return out.isEmpty() ? null : out;
    }
    throw new UsageException(
        SOURCE
            + " key 'allow_file_suffix' must be a list of strings such as [\"json\","
            + " \"safetensors\"]");
  }

  @Override
  public String toString() {
    return "ExtraConfig[endpoint="
        + endpoint
        + ", region="
        + region
        + ", credentials="
        + (ak == null ? "none" : "given")
        + "]";
  }
}
