package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A wrong value is named by what carried it, a flag, an environment variable, a {@code --config}
 * file key (with its line) or a {@code --download-extra-config} key, with the value, the rule and
 * the fix: one line, exit 2, nothing written. Every value that has a rule beyond its form is here,
 * in every carrier that can give it.
 */
class CarrierErrorsTest {

  @TempDir static Path dir;

  /** How a value reaches the run. */
  enum Carrier {
    FLAG,
    ENV,
    CONFIG,
    EXTRA
  }

  static Arguments row(Carrier carrier, String key, String value, String message) {
    return Arguments.of(carrier, key, value, message);
  }

  static final String PART =
      " is below the smallest part size, 1MiB (1048576 bytes); give 1MiB or more, e.g. 64MiB";
  static final String THREADS = "; give a number from 1 to 1024";
  static final String SIZE = " is not a size; give bytes (67108864) or a size such as 64MiB";
  static final String BOOL = " is not a boolean; give 1 or 0 (true or false)";

  static Stream<Arguments> rows() {
    return Stream.of(
        // the part size: at least 1 MiB, wherever it comes from
        row(Carrier.FLAG, "--part-size", "1", "--part-size '1'" + PART),
        row(Carrier.FLAG, "--part-chunksize", "512KiB", "--part-chunksize '512KiB'" + PART),
        row(Carrier.ENV, "DOWNLOADER_PART_CHUNKSIZE", "1", "DOWNLOADER_PART_CHUNKSIZE '1'" + PART),
        row(
            Carrier.EXTRA,
            "part_chunksize",
            "1",
            "--download-extra-config part_chunksize '1'" + PART),
        row(Carrier.CONFIG, "partSize", "1000", "--config {config} line 1: partSize '1000'" + PART),
        // the number of ranged GETs in flight: 1..1024
        row(Carrier.FLAG, "--num-threads", "0", "--num-threads is 0" + THREADS),
        row(Carrier.FLAG, "--num-threads", "2000", "--num-threads is 2000" + THREADS),
        row(Carrier.ENV, "DOWNLOADER_NUM_THREADS", "0", "DOWNLOADER_NUM_THREADS is 0" + THREADS),
        row(
            Carrier.EXTRA,
            "num_threads",
            "0",
            "--download-extra-config num_threads is 0" + THREADS),
        row(
            Carrier.CONFIG,
            "numThreads",
            "0",
            "--config {config} line 1: numThreads is 0" + THREADS),
        // sizes
        row(Carrier.FLAG, "--part-threshold", "big", "--part-threshold 'big'" + SIZE),
        row(
            Carrier.ENV,
            "DOWNLOADER_PART_THRESHOLD",
            "big",
            "DOWNLOADER_PART_THRESHOLD 'big'" + SIZE),
        row(
            Carrier.EXTRA,
            "part_threshold",
            "\"big\"",
            "--download-extra-config part_threshold 'big'" + SIZE),
        row(
            Carrier.CONFIG,
            "partThreshold",
            "big",
            "--config {config} line 1: partThreshold 'big'" + SIZE),
        row(Carrier.FLAG, "--max-bytes", "lots", "--max-bytes 'lots'" + SIZE),
        // booleans
        row(
            Carrier.ENV,
            "DOWNLOADER_FORCE_DOWNLOAD",
            "perhaps",
            "DOWNLOADER_FORCE_DOWNLOAD 'perhaps'" + BOOL),
        row(
            Carrier.ENV,
            "DOWNLOADER_CHECK_FILE_EXIST",
            "perhaps",
            "DOWNLOADER_CHECK_FILE_EXIST 'perhaps'" + BOOL),
        row(
            Carrier.ENV,
            "DOWNLOADER_DIRECT_IO",
            "perhaps",
            "DOWNLOADER_DIRECT_IO 'perhaps'" + BOOL),
        row(Carrier.FLAG, "--direct-io", "perhaps", "--direct-io 'perhaps'" + BOOL),
        row(
            Carrier.EXTRA,
            "force_download",
            "\"perhaps\"",
            "--download-extra-config force_download 'perhaps'" + BOOL),
        // choices
        row(
            Carrier.FLAG,
            "--verify",
            "sha1",
            "--verify 'sha1' is not a verification level; give full (the cheapest digest the store keeps), all (every digest) or size (sizes only)"),
        row(
            Carrier.ENV,
            "DOWNLOADER_VERIFY",
            "sha1",
            "DOWNLOADER_VERIFY 'sha1' is not a verification level; give full (the cheapest digest the store keeps), all (every digest) or size (sizes only)"),
        row(
            Carrier.FLAG,
            "--addressing",
            "sideways",
            "--addressing 'sideways' is not auto, virtual or path"),
        row(
            Carrier.CONFIG,
            "addressing",
            "sideways",
            "--config {config} line 1: addressing 'sideways' is not auto, virtual or path"),
        row(Carrier.FLAG, "--runner", "spark", "--runner 'spark' is not direct or flink"),
        row(
            Carrier.CONFIG,
            "runner",
            "spark",
            "--config {config} line 1: runner 'spark' is not direct or flink"),
        // parallelism: 1..4096
        row(Carrier.FLAG, "--parallelism", "0", "--parallelism 0 is out of range; give 1..4096"),
        row(
            Carrier.CONFIG,
            "parallelism",
            "0",
            "--config {config} line 1: parallelism is 0; give a number from 1 to 4096"),
        // durations
        row(
            Carrier.FLAG,
            "--lock-timeout",
            "soon",
            "--lock-timeout 'soon' is not a duration; give e.g. 90s, 30m or 2h"),
        row(
            Carrier.FLAG,
            "--progress-interval",
            "often",
            "--progress-interval 'often' is not a duration; give e.g. 90s, 30m or 2h"));
  }

  @ParameterizedTest(name = "{0} {1}={2}")
  @MethodSource("rows")
  void wrongValueIsNamedByItsCarrier(Carrier carrier, String key, String value, String message)
      throws IOException {
    Path dest = dir.resolve("dest-" + carrier + "-" + key);
    List<String> args =
        new ArrayList<>(List.of("--local-dir", dest.toString(), "--model-uri", "s3://bkt/m/"));
    Map<String, String> env =
        new HashMap<>(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1"));
    Path config = dir.resolve(carrier + "-" + key + ".yaml");
    switch (carrier) {
      case FLAG -> args.addAll(List.of(key, value));
      case ENV -> env.put(key, value);
      case EXTRA ->
          args.addAll(List.of("--download-extra-config", "{\"" + key + "\": " + value + "}"));
      case CONFIG -> {
        Files.writeString(config, key + ": " + value + "\n");
        args.addAll(List.of("--config", config.toString()));
      }
    }

    Cli cli = Cli.run(env, args.toArray(String[]::new));

    assertEquals(2, cli.status(), cli.toString());
    assertEquals("", cli.out());
    assertEquals(
        "model-prefetch: " + message.replace("{config}", config.toString()) + "\n", cli.err());
    assertEquals(false, Files.exists(dest), "nothing written");
  }
}
