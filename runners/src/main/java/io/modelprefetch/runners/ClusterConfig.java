package io.modelprefetch.runners;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.modelprefetch.transforms.s3.EndpointResolver;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * {@code --config FILE}: the settings people keep per cluster, in YAML, bound by Jackson and
 * checked key by key. Below the flags, the extra config and the environment, above the defaults
 * ({@link Setting}). Holds no secret: keys belong in the environment.
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

  /** The file as written, bound by Jackson; every value is a scalar's text until it is checked. */
  private record Form(
      @JsonProperty("s3") @Nullable Section s3,
      @JsonProperty("tos") @Nullable Section tos,
      @JsonProperty("addressing") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String addressing,
      @JsonProperty("partSize") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String partSize,
      @JsonProperty("partThreshold") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String partThreshold,
      @JsonProperty("numThreads") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String numThreads,
      @JsonProperty("localDir") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String localDir,
      @JsonProperty("runner") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String runner,
      @JsonProperty("parallelism") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String parallelism) {}

  /** The {@code s3:} or {@code tos:} mapping. */
  private record Section(
      @JsonProperty("endpoint") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String endpoint,
      @JsonProperty("region") @JsonDeserialize(using = Values.ScalarText.class)
          @Nullable String region) {}

  private static final List<String> TOP_KEYS = keys(Form.class);
  private static final List<String> SECTION_KEYS = keys(Section.class);
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
  private static final ObjectMapper YAML =
      YAMLMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  /** {@link #partSize} in bytes (checked when read), or null. */
  @Nullable Long partSizeBytes() {
    return partSize == null ? null : Values.size("--config partSize", partSize);
  }

  /** {@link #partThreshold} in bytes (checked when read), or null. */
  @Nullable Long partThresholdBytes() {
    return partThreshold == null ? null : Values.size("--config partThreshold", partThreshold);
  }

  /** {@link #addressing} (checked when read); null for auto or when not given. */
  EndpointResolver.@Nullable Addressing addressingStyle() {
    return Values.addressing("--config addressing", addressing);
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

  /**
   * Parses config text; {@code source} names it in errors. No message carries a value the file
   * gives a key that looks like a secret, nor Jackson's text beyond a YAML syntax error's first
   * line (which names no value).
   */
  static ClusterConfig parse(String text, String source) {
    Form form;
    try (JsonParser parser = YAML.createParser(text)) {
      // A file of comments only, or only "~", sets nothing.
      form = parser.nextToken() == null ? null : YAML.readValue(parser, Form.class);
    } catch (UnrecognizedPropertyException e) {
      throw unknownKey(e, text, source);
    } catch (MismatchedInputException e) {
      throw wrongShape(e, text, source);
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
    } catch (IOException e) {
      throw new UsageException("--config " + source + " cannot be read: " + e.getMessage());
    }
    return form == null ? NONE : check(form, text, source);
  }

  /** Checks each value as its key names it, with the key's line. */
  private static ClusterConfig check(Form form, String text, String source) {
    Section s3 = form.s3() == null ? new Section(null, null) : form.s3();
    Section tos = form.tos() == null ? new Section(null, null) : form.tos();
    return new ClusterConfig(
        s3.endpoint(),
        s3.region(),
        tos.endpoint(),
        tos.region(),
        oneOf(
            "addressing",
            form.addressing(),
            List.of("auto", "virtual", "virtual-hosted", "path", "path-style"),
            "is not auto, virtual or path",
            text,
            source),
        size("partSize", form.partSize(), text, source, Values::partSize),
        size("partThreshold", form.partThreshold(), text, source, Values::size),
        count("numThreads", form.numThreads(), 1024, text, source),
        form.localDir(),
        oneOf(
            "runner",
            form.runner(),
            List.of("direct", "directrunner", "flink", "flinkrunner"),
            "is not direct or flink",
            text,
            source),
        count("parallelism", form.parallelism(), 4096, text, source));
  }

  /** A key the file does not have: a secret is refused as one, naming the key but no value. */
  private static UsageException unknownKey(
      UnrecognizedPropertyException e, String text, String source) {
    String key = e.getPropertyName();
    String path = path(e, key);
    if (SECRET_KEYS.contains(key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", ""))) {
      return new UsageException(
          "--config "
              + source
              + line(text, key)
              + ": '"
              + path
              + "' looks like a secret; secrets belong in the environment (TOS_ACCESS_KEY/TOS_SECRET_KEY,"
              + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), never in a config file");
    }
    return new UsageException(
        "--config "
            + source
            + line(text, key)
            + ": unknown key '"
            + path
            + "'; known keys here: "
            + String.join(", ", path.contains(".") ? SECTION_KEYS : TOP_KEYS));
  }

  /** A value of the wrong shape: the file, a section or a value that is not a scalar. */
  private static UsageException wrongShape(MismatchedInputException e, String text, String source) {
    if (e.getPath().isEmpty()) {
      return new UsageException(
          "--config " + source + " must be a YAML mapping such as 'numThreads: 16'");
    }
    String key = e.getPath().get(e.getPath().size() - 1).getFieldName();
    String path = path(e, key);
    if (e.getPath().size() == 1 && (key.equals("s3") || key.equals("tos"))) {
      return new UsageException(
          "--config "
              + source
              + line(text, key)
              + ": '"
              + key
              + "' must be a mapping such as '"
              + key
              + ": {endpoint: https://..., region: ...}'");
    }
    return new UsageException(
        "--config " + source + line(text, key) + ": '" + path + "' must be a single value");
  }

  /** The dotted path of {@code key} where Jackson stopped, e.g. {@code tos.sk}. */
  private static String path(JsonMappingException e, String key) {
    List<String> names = new ArrayList<>();
    for (JsonMappingException.Reference reference : e.getPath()) {
      if (reference.getFieldName() != null) {
        names.add(reference.getFieldName());
      }
    }
    if (names.isEmpty() || !names.get(names.size() - 1).equals(key)) {
      names.add(key);
    }
    return String.join(".", names);
  }

  /**
   * A value that must be one of {@code allowed} (any case), named by its file, line and key when
   * not.
   */
  private static @Nullable String oneOf(
      String name,
      @Nullable String value,
      List<String> allowed,
      String problem,
      String text,
      String source) {
    if (value != null && !allowed.contains(value.strip().toLowerCase(Locale.ROOT))) {
      throw new UsageException(
          "--config " + source + line(text, name) + ": " + name + " '" + value + "' " + problem);
    }
    return value;
  }

  /** The text of a size, checked by {@code check} as given by its file, line and key. */
  private static @Nullable String size(
      String name,
      @Nullable String value,
      String text,
      String source,
      java.util.function.ToLongBiFunction<String, String> check) {
    if (value != null) {
      check.applyAsLong("--config " + source + line(text, name) + ": " + name, value);
    }
    return value;
  }

  private static @Nullable Integer count(
      String name, @Nullable String value, int max, String text, String source) {
    return value == null
        ? null
        : Values.count("--config " + source + line(text, name) + ": " + name, value, 1, max);
  }

  /** The keys of a form, in the order its record declares them. */
  private static List<String> keys(Class<? extends Record> form) {
    return Arrays.stream(form.getRecordComponents()).map(RecordComponent::getName).toList();
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
