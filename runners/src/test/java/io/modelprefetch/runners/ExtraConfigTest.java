package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** --download-extra-config bound by Jackson: one line per mistake, and never a secret's value. */
class ExtraConfigTest {

  static final String SECRET = "S3CR3T-never-shown";

  static Stream<Arguments> mistakes() {
    String source = "--download-extra-config ";
    return Stream.of(
        Arguments.of("{\"ak\": 12345, \"sk\": \"x\"}", source + "key 'ak' must be a string"),
        Arguments.of(
            "{\"ak\": \"a\", \"sk\": {\"v\": \"" + SECRET + "\"}}",
            source + "key 'sk' must be a string"),
        Arguments.of("{\"sk\": [\"" + SECRET + "\"]}", source + "key 'sk' must be a string"),
        Arguments.of("{\"endpoint\": true}", source + "key 'endpoint' must be a string"),
        Arguments.of(
            "{\"num_threads\": [8]}",
            source + "key 'num_threads' must be a number, a string or a boolean"),
        Arguments.of(
            "{\"force_download\": {}}",
            source + "key 'force_download' must be a number, a string or a boolean"),
        Arguments.of(
            "{\"num_threads\": 8.5}",
            source + "num_threads '8.5' is not a whole number; give a number from 1 to 1024"),
        Arguments.of(
            "{\"num_threads\": \"2000\"}",
            source + "num_threads is 2000; give a number from 1 to 1024"),
        Arguments.of(
            "{\"allow_file_suffix\": [\"json\", 5]}",
            source
                + "key 'allow_file_suffix' has 5; give a list of strings such as [\"json\","
                + " \"safetensors\"]"),
        Arguments.of(
            "{\"allow_file_suffix\": 5}",
            source
                + "key 'allow_file_suffix' must be a list of strings such as [\"json\","
                + " \"safetensors\"]"),
        Arguments.of(
            "{\"num_threads\": 8} {\"sk\": \"" + SECRET + "\"}",
            source + "has text after its JSON object; give one object"),
        Arguments.of(
            "{\"sk\": \"" + SECRET + "\"",
            source
                + "is not valid JSON (line 1, column 28); give an object such as {\"endpoint\":"
                + " \"https://tos-s3-cn-beijing.volces.com\", \"num_threads\": 8}"),
        Arguments.of("null", source + "must be a JSON object such as {\"num_threads\": 8}"),
        Arguments.of(
            "\"" + SECRET + "\"", source + "must be a JSON object such as {\"num_threads\": 8}"),
        Arguments.of(
            "{\"Sk\": \"" + SECRET + "\"}",
            source
                + "has unknown key 'Sk'; known keys: ak, allow_file_suffix, endpoint, force_download,"
                + " hf_endpoint, hf_revision, hf_token, io_chunksize, max_io_queue, num_threads,"
                + " part_chunksize, part_threshold, region, sk"));
  }

  @ParameterizedTest
  @MethodSource("mistakes")
  void aMistakeIsOneLineNamingTheKeyAndNoSecret(String json, String message) {
    UsageException e = assertThrows(UsageException.class, () -> ExtraConfig.parse(json));

    assertEquals(message, e.getMessage());
    assertFalse(e.getMessage().contains(SECRET), e.getMessage());
  }

  @Test
  void scalarsOfAnyJsonTypeAreReadAsTheirTextAndNullIsNotGiven() {
    ExtraConfig extra =
        ExtraConfig.parse(
            "{\"num_threads\": \"8\", \"part_threshold\": 1048576, \"part_chunksize\": \"2MiB\","
                + " \"force_download\": 1, \"allow_file_suffix\": \"json,md\", \"region\": null,"
                + " \"hf_token\": null, \"io_chunksize\": [1]}");

    assertEquals(
        new ExtraConfig(
            null,
            null,
            null,
            null,
            8,
            1L << 20,
            2L << 20,
            List.of("json", "md"),
            true,
            List.of("hf_token", "io_chunksize")),
        extra);
  }

  @Test
  void keysAreNeverShown() {
    ExtraConfig extra = ExtraConfig.parse("{\"ak\": \"AKID\", \"sk\": \"" + SECRET + "\"}");

    assertEquals("ExtraConfig[endpoint=null, region=null, credentials=given]", extra.toString());
  }
}
