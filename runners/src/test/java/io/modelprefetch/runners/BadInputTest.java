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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input exits 2 with one line naming the input, before any request, and writes nothing. */
class BadInputTest {

  @TempDir static Path dir;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            Map.of(),
            List.of(),
            "nothing to fetch: give --model-uri s3://bucket/prefix/ (or tos://...) or --manifest FILE"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "gs://bucket/m/"),
            "model URI 'gs://bucket/m/' has unsupported scheme 'gs'; use s3:// or tos://"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "bucket/m/"),
            "model URI 'bucket/m/' has no scheme; write it as s3://bucket/prefix/ or tos://bucket/prefix/"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "deepseek-ai/deepseek-coder-6.7b-instruct"),
            "model URI 'deepseek-ai/deepseek-coder-6.7b-instruct' is a Hugging Face repo id (the AIBrix downloader's"
                + " default source); Hugging Face is not supported here: copy the model to a bucket and give"
                + " s3://bucket/prefix/ or tos://bucket/prefix/"),
        Arguments.of(
            Map.of("DOWNLOADER_CHECK_FILE_EXIST", "perhaps"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_CHECK_FILE_EXIST 'perhaps' is not a boolean; give 1 or 0 (true or false)"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://My_Bucket/m/"),
            "model URI 's3://My_Bucket/m/' has invalid bucket name 'My_Bucket'; bucket names are 3-63 lower-case letters, digits, dots or hyphens"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3:///m/"),
            "model URI 's3:///m/' has no bucket; write it as s3://bucket/prefix/"),
        Arguments.of(
            Map.of("DOWNLOADER_NUM_THREADS", "many"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_NUM_THREADS 'many' is not a whole number; give a number from 1 to 1024"),
        Arguments.of(
            Map.of("DOWNLOADER_PART_CHUNKSIZE", "64 parsecs"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_PART_CHUNKSIZE '64 parsecs' is not a size; give bytes (67108864) or a size such as 64MiB"),
        Arguments.of(
            Map.of("DOWNLOADER_PART_CHUNKSIZE", "1000"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_PART_CHUNKSIZE '1000' is below the smallest part size, 1MiB (1048576 bytes); give 1MiB or more,"
                + " e.g. 64MiB"),
        Arguments.of(
            Map.of("DOWNLOADER_FORCE_DOWNLOAD", "perhaps"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_FORCE_DOWNLOAD 'perhaps' is not a boolean; give 1 or 0 (true or false)"),
        Arguments.of(
            Map.of("DOWNLOADER_VERIFY", "nope"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_VERIFY 'nope' is not a verification level; give full (the cheapest digest the store keeps), all (every digest) or size (sizes only)"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--verify", "sha1"),
            "--verify 'sha1' is not a verification level; give full (the cheapest digest the store keeps), all (every digest) or size (sizes only)"),
        Arguments.of(
            Map.of("DOWNLOADER_DIRECT_IO", "maybe"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_DIRECT_IO 'maybe' is not a boolean; give 1 or 0 (true or false)"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--direct-io", "direct"),
            "--direct-io 'direct' is not a boolean; give 1 or 0 (true or false)"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--structure-check", "maybe"),
            "--structure-check 'maybe' is neither on nor off; give on or off"),
        Arguments.of(
            Map.of("DOWNLOADER_STRUCTURE_CHECK", "sometimes"),
            List.of("--model-uri", "s3://bkt/m/"),
            "DOWNLOADER_STRUCTURE_CHECK 'sometimes' is neither on nor off; give on or off"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--num-threads", "0"),
            "--num-threads is 0; give a number from 1 to 1024"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--download-extra-config", "{\"threads\": 4}"),
            "--download-extra-config has unknown key 'threads'; known keys: ak, allow_file_suffix, endpoint, force_download, hf_endpoint, hf_revision, hf_token,"
                + " io_chunksize, max_io_queue, num_threads, part_chunksize, part_threshold, region, sk"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--download-extra-config", "{\"sk\": S3CR3T}"),
            "--download-extra-config is not valid JSON (line 1, column 8); give an object such as {\"endpoint\": \"https://tos-s3-cn-beijing.volces.com\", \"num_threads\": 8}"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--download-extra-config", "{\"ak\": \"A\"}"),
            "--download-extra-config has only one of 'ak' and 'sk'; give both or neither"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--download-extra-config", "[1]"),
            "--download-extra-config must be a JSON object such as {\"num_threads\": 8}"),
        Arguments.of(
            Map.of("TOS_ENDPOINT", "ftp://tos-s3-cn-beijing.volces.com"),
            List.of("--model-uri", "tos://bkt/m/"),
            "TOS_ENDPOINT 'ftp://tos-s3-cn-beijing.volces.com' uses scheme 'ftp'; an S3 endpoint is https://host (or http://host for a local test server)"),
        Arguments.of(
            Map.of(
                "TOS_ENDPOINT", "https://tos-cn-beijing.volces.com", "TOS_REGION", "cn-shanghai"),
            List.of("--model-uri", "tos://bkt/m/"),
            "TOS_REGION 'cn-shanghai' disagrees with region 'cn-beijing' of TOS_ENDPOINT 'https://tos-cn-beijing.volces.com'; unset TOS_REGION or give an endpoint in region cn-shanghai"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "tos://bkt/m/"),
            "tos:// needs an endpoint or a region: set TOS_ENDPOINT (e.g. https://tos-s3-cn-beijing.volces.com) or TOS_REGION"),
        Arguments.of(
            Map.of("TOS_REGION", "cn-beijing"),
            List.of("--model-uri", "tos://bkt/m/", "--addressing", "path"),
            "path-style addressing was requested for TOS, but TOS refuses path-style requests (403 InvalidPathAccess); drop the path-style setting"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--addressing", "sideways"),
            "--addressing 'sideways' is not auto, virtual or path"),
        Arguments.of(
            Map.of(),
            List.of(
                "--model-uri", "s3://bkt/a/", "--model-uri", "s3://bkt/b/", "--model-name", "x"),
            "--model-name names one model, but 2 --model-uri were given; use a manifest with a 'name' per model"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/a/m/", "--model-uri", "s3://bkt/b/m/"),
            "two models would land in " + dir.resolve("dest/m") + "; give each a distinct name"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--include", "[abc"),
            "model s3://bkt/m/: invalid glob '[abc': Missing '] near index 3"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--modle-name", "x"),
            "unknown option or argument '--modle-name'; see 'prefetch run --help' (Beam options are written --name=value)"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--noSuchBeamOption=1"),
            "pipeline option: Class interface io.modelprefetch.pipeline.PrefetchOptions missing a property named 'noSuchBeamOption'."),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--num-threads", "x"),
            "Invalid value for option '--num-threads': 'x' is not an int; see 'prefetch run --help'"),
        Arguments.of(
            Map.of("AWS_CA_BUNDLE", "/no/such/ca.pem"),
            List.of("--model-uri", "s3://bkt/m/"),
            "AWS_CA_BUNDLE '/no/such/ca.pem' is not a readable file; point it at a PEM file of CA certificates"),
        Arguments.of(
            Map.of(),
            List.of("--manifest", "/no/such/manifest.yaml"),
            "manifest /no/such/manifest.yaml does not exist"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--every", "soon"),
            "--every 'soon' is not a duration; give e.g. 90s, 30m or 2h"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--every", "0s"),
            "--every '0s' is no period; give e.g. 15m, or leave it out to run once"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--every", "9000h"),
            "--every '9000h' is over a year; give e.g. 15m, 1h or 24h"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--every", "15m", "--dry-run"),
            "--every does not go with --dry-run, which fetches nothing; keep one"),
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "s3://bkt/m/", "--every-runs", "2"),
            "--every-runs counts the runs of --every; give --every too"),
        // Bad input ends a repeated run at once, with the line a single run gives, and no wait.
        Arguments.of(
            Map.of(),
            List.of("--model-uri", "gs://bucket/m/", "--every", "1h"),
            "model URI 'gs://bucket/m/' has unsupported scheme 'gs'; use s3:// or tos://"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void badInputExitsTwoWithOneLineAndWritesNothing(
      Map<String, String> env, List<String> args, String message) throws IOException {
    Path dest = dir.resolve("dest");
    List<String> all = new ArrayList<>(List.of("--local-dir", dest.toString()));
    all.addAll(args);

    Cli cli = Cli.run(env, all.toArray(String[]::new));

    assertEquals(2, cli.status(), cli.toString());
    assertEquals("", cli.out());
    assertEquals("model-prefetch: " + message + "\n", cli.err());
    assertEquals(false, Files.exists(dest), "nothing written");
  }

  @Test
  void manifestWithUnknownKeyNamesItsLine() throws IOException {
    Path manifest = dir.resolve("bad.yaml");
    Files.writeString(manifest, "models:\n  - uri: s3://bkt/m/\n    inclde: [\"*.json\"]\n");

    Cli cli =
        Cli.run(
            Map.of(),
            "--local-dir",
            dir.resolve("dest2").toString(),
            "--manifest",
            manifest.toString());

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: manifest "
            + manifest
            + " line 3: unknown key 'inclde'; known keys here: exclude,"
            + " include, name, sha256, uri\n",
        cli.err());
  }

  @Test
  void destinationThatIsAFileIsRefusedAndLeftIntact() throws IOException {
    Path file = dir.resolve("a-file");
    Files.writeString(file, "keep me");

    Cli cli =
        Cli.run(
            new HashMap<>(),
            "--local-dir",
            file.resolve("models").toString(),
            "--model-uri",
            "s3://bkt/m/");

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: --local-dir '"
            + file.resolve("models")
            + "': "
            + file
            + " is a file, not a folder; choose another destination\n",
        cli.err());
    assertEquals("keep me", Files.readString(file));
  }
}
