package io.modelprefetch.runners;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.modelprefetch.transforms.text.Printable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AIBrix {@code --download-extra-config} JSON object. Its {@code ak} and {@code sk} are
 * secrets: they are never echoed, not even in parse errors.
 *
 * <p>It takes exactly the keys AIBrix's {@code DownloadExtraConfig} dataclass has
 * (aibrix/downloader/base.py; AIBrix builds it as {@code DownloadExtraConfig(**json)}, so another
 * key fails there too). Those that mean something here are honoured; the others (the Hugging Face
 * settings and boto3's transfer tuning) are accepted with any value, so an existing job's config
 * keeps working, and named once in a debug line. A key whose value is {@code null} counts as not
 * given, as AIBrix's {@code value or environment} reads it.
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

  /** Every key AIBrix has, {@link Json}'s, sorted. */
  private static final List<String> KEYS =
      Arrays.stream(Json.class.getRecordComponents())
          .map(c -> c.getAccessor().getAnnotation(JsonProperty.class).value())
          .sorted()
          .toList();

  private static final Logger LOG = LoggerFactory.getLogger(ExtraConfig.class);
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          // ak, sk, endpoint and region are JSON strings, as AIBrix's dataclass types them.
          .withCoercionConfig(
              LogicalType.Textual,
              text ->
                  text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .build();

  /**
   * The JSON as AIBrix writes it, bound by Jackson. A count, a size or a switch may be a number, a
   * string or a boolean, kept as its text until {@link Values} checks it. {@code allow_file_suffix}
   * is a list or a string, which no one Java type binds, so it stays a tree checked by hand.
   *
   * <p>The keys that have no meaning here take any value: {@code hf_endpoint}, {@code hf_token} and
   * {@code hf_revision} configure AIBrix's Hugging Face source; {@code max_io_queue} and {@code
   * io_chunksize} tune boto3's {@code TransferConfig} ({@code S3BaseDownloader.download}, s3.py).
   * Another key is Jackson's unknown property.
   */
  private record Json(
      @JsonProperty("ak") @Nullable String ak,
      @JsonProperty("sk") @Nullable String sk,
      @JsonProperty("endpoint") @Nullable String endpoint,
      @JsonProperty("region") @Nullable String region,
      @JsonProperty("num_threads") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String numThreads,
      @JsonProperty("part_threshold") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String partThreshold,
      @JsonProperty("part_chunksize") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String partChunksize,
      @JsonProperty("allow_file_suffix") @Nullable JsonNode allowFileSuffix,
      @JsonProperty("force_download") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String forceDownload,
      @JsonProperty("hf_endpoint") @Nullable JsonNode hfEndpoint,
      @JsonProperty("hf_token") @Nullable JsonNode hfToken,
      @JsonProperty("hf_revision") @Nullable JsonNode hfRevision,
      @JsonProperty("max_io_queue") @Nullable JsonNode maxIoQueue,
      @JsonProperty("io_chunksize") @Nullable JsonNode ioChunksize) {

    /** The keys with no meaning here that were given (also as null), in the dataclass's order. */
    List<String> ignoredKeys() {
      List<String> given = new ArrayList<>();
      Map<String, JsonNode> values = new LinkedHashMap<>();
      values.put("hf_endpoint", hfEndpoint);
      values.put("hf_token", hfToken);
      values.put("hf_revision", hfRevision);
      values.put("max_io_queue", maxIoQueue);
      values.put("io_chunksize", ioChunksize);
      values.forEach(
          (key, value) -> {
            if (value != null) {
              given.add(key);
            }
          });
      return given;
    }

    @Override
    public String toString() {
      return "ExtraConfig.Json[credentials=" + (ak == null ? "none" : "given") + "]";
    }
  }

  /** Parses the JSON, or returns {@link #NONE} when it is null or blank. */
  static ExtraConfig parse(@Nullable String json) {
    if (json == null || json.isBlank()) {
      return NONE;
    }
    Json given;
    try (JsonParser parser = JSON.createParser(json)) {
      given = JSON.readValue(parser, Json.class);
      if (given != null && parser.nextToken() != null) {
        throw new UsageException(SOURCE + " has text after its JSON object; give one object");
      }
    } catch (UnrecognizedPropertyException e) {
      throw new UsageException(
          SOURCE
              + " has unknown key '"
              + Printable.escape(e.getPropertyName())
              + "'; known keys: "
              + String.join(", ", KEYS));
    } catch (MismatchedInputException e) {
      throw wrongType(e);
    } catch (JsonProcessingException e) {
      // Only where: Jackson's message may quote the text, and with it a key's value.
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
    if (given == null) {
      throw notAnObject();
    }
    return new ExtraConfig(
        given.ak(),
        given.sk(),
        given.endpoint(),
        given.region(),
        given.numThreads() == null
            ? null
            : Values.count(SOURCE + " num_threads", given.numThreads(), 1, 1024),
        given.partThreshold() == null
            ? null
            : Values.size(SOURCE + " part_threshold", given.partThreshold()),
        given.partChunksize() == null
            ? null
            : Values.partSize(SOURCE + " part_chunksize", given.partChunksize()),
        suffixes(given.allowFileSuffix()),
        given.forceDownload() == null
            ? null
            : Values.bool(SOURCE + " force_download", given.forceDownload()),
        List.copyOf(given.ignoredKeys()));
  }

  /**
   * Names the keys with no meaning here that were given, once per run (the runner choice parses the
   * config too); names only, as {@code hf_token} is a secret.
   */
  void logIgnoredKeys() {
    if (!ignoredKeys.isEmpty()) {
      LOG.debug(
          "{} keys {} are AIBrix settings with no meaning here (its Hugging Face source, boto3's transfer"
              + " tuning); ignored",
          SOURCE,
          ignoredKeys);
    }
  }

  /** A value of the wrong JSON type, named by its key; the whole input when it is no object. */
  private static UsageException wrongType(MismatchedInputException e) {
    if (e.getPath().isEmpty()) {
      return notAnObject();
    }
    String key = e.getPath().get(0).getFieldName();
    return new UsageException(
        SOURCE
            + " key '"
            + key
            + (List.of("ak", "sk", "endpoint", "region").contains(key)
                ? "' must be a string"
                : "' must be a number, a string or a boolean"));
  }

  private static UsageException notAnObject() {
    return new UsageException(SOURCE + " must be a JSON object such as {\"num_threads\": 8}");
  }

  /**
   * A list is taken as it is, each item a suffix; an empty list counts as not given (AIBrix: {@code
   * allow_file_suffix or DOWNLOADER_ALLOW_FILE_SUFFIX}). A string is split on commas as the
   * variable is, where AIBrix would take each of its characters as a suffix.
   */
  private static @Nullable List<String> suffixes(@Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
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
