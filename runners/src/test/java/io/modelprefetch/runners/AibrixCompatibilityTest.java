package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.ModelSource;
import java.io.OutputStream;
import java.io.PrintStream;
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
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The AIBrix downloader's behaviour, from its code (vllm-project/aibrix at e3e10f9,
 * python/aibrix/aibrix/), matched by what a run here resolves. No request is made.
 */
class AibrixCompatibilityTest {

  @TempDir Path dir;

  static final List<String> KEYS =
      List.of(
          "config.json",
          "generation_config.json",
          "tokenizer_config.json",
          "tokenizer.json",
          "model.safetensors",
          "model.safetensors.index.json",
          "README.md",
          "original/params.json",
          "vocab.JSON");

  static final Map<String, String> ENV =
      Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1");

  /** The job a run with {@code args} and {@code env} (beside {@link #ENV}) resolves. */
  Job job(Map<String, String> env, String... args) {
    RunCommand run =
        new RunCommand(
            new Main.Context(
                Map.of(),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream())));
    List<String> all =
        new ArrayList<>(
            List.of("--local-dir", dir.toString(), "--model-uri", "s3://bkt/models/m/"));
    all.addAll(List.of(args));
    new CommandLine(run).parseArgs(all.toArray(String[]::new));
    Map<String, String> merged = new HashMap<>(ENV);
    merged.putAll(env);
    return new JobResolver(merged).resolve(run.flags());
  }

  /**
   * The keys of {@link #KEYS} (under {@code models/m/}) that the model's filters keep from its
   * listing.
   */
  static List<String> selected(Job job) {
    ModelSource model = job.models().get(0);
    return KEYS.stream().filter(k -> model.filters().accepts("models/m/" + k, k, true)).toList();
  }

  /**
   * What each value of {@code DOWNLOADER_ALLOW_FILE_SUFFIX} selects. AIBrix reads the variable with
   * {@code _parse_list_str} (envs.py: {@code [item.strip() for item in value.split(",")]}) and
   * keeps a listed key when {@code any(file.endswith(suffix) for suffix in allow_file_suffix)}
   * ({@code BaseDownloader.download_directory}, downloader/base.py), on the whole object key. The
   * expected selections were computed with those two expressions in python3 over these keys.
   */
  static Stream<Arguments> suffixTable() {
    List<String> all = KEYS;
    List<String> json =
        List.of(
            "config.json",
            "generation_config.json",
            "tokenizer_config.json",
            "tokenizer.json",
            "model.safetensors.index.json",
            "original/params.json");
    return Stream.of(
        Arguments.of("json", json),
        Arguments.of(
            "config.json",
            List.of("config.json", "generation_config.json", "tokenizer_config.json")),
        Arguments.of(
            "fig.json", List.of("config.json", "generation_config.json", "tokenizer_config.json")),
        Arguments.of("/config.json", List.of("config.json")),
        Arguments.of("json,", all), // "json" and "": the empty suffix keeps everything
        Arguments.of(",", all),
        Arguments.of("safetensors", List.of("model.safetensors")),
        Arguments.of("JSON", List.of("vocab.JSON")), // case as given
        Arguments.of(
            ".json,.safetensors",
            List.of(
                "config.json",
                "generation_config.json",
                "tokenizer_config.json",
                "tokenizer.json",
                "model.safetensors",
                "model.safetensors.index.json",
                "original/params.json")),
        Arguments.of(
            " json , md ",
            List.of(
                "config.json",
                "generation_config.json",
                "tokenizer_config.json",
                "tokenizer.json",
                "model.safetensors.index.json",
                "README.md",
                "original/params.json")),
        // AIBrix: [""] keeps everything; here an empty variable is not set: everything too.
        Arguments.of("", all));
  }

  @ParameterizedTest
  @MethodSource("suffixTable")
  void allowFileSuffixVariableSelectsWhatAibrixSelects(String value, List<String> expected) {
    assertEquals(
        expected, selected(job(Map.of("DOWNLOADER_ALLOW_FILE_SUFFIX", value))), "'" + value + "'");
  }

  @ParameterizedTest
  @MethodSource("suffixTable")
  void allowFileSuffixFlagSelectsAsTheVariableDoes(String value, List<String> expected) {
    assertEquals(
        expected, selected(job(Map.of(), "--allow-file-suffix", value)), "'" + value + "'");
  }

  @Test
  void allowFileSuffixListInExtraConfigIsTakenItemByItemAndBeatsTheVariable() {
    Job job =
        job(
            Map.of("DOWNLOADER_ALLOW_FILE_SUFFIX", "md"),
            "--download-extra-config",
            "{\"allow_file_suffix\": [\"config.json\", \"safetensors\"]}");
    assertEquals(
        List.of(
            "config.json", "generation_config.json", "tokenizer_config.json", "model.safetensors"),
        selected(job));
  }

  @Test
  void emptyOrNullAllowFileSuffixInExtraConfigFallsBackToTheVariable() {
    // AIBrix: self.download_extra_config.allow_file_suffix or envs.DOWNLOADER_ALLOW_FILE_SUFFIX
    for (String json : List.of("{\"allow_file_suffix\": []}", "{\"allow_file_suffix\": null}")) {
      assertEquals(
          List.of("README.md"),
          selected(
              job(Map.of("DOWNLOADER_ALLOW_FILE_SUFFIX", "md"), "--download-extra-config", json)),
          json);
    }
  }

  /** Every field of AIBrix's {@code DownloadExtraConfig} dataclass (downloader/base.py). */
  static final String EVERY_AIBRIX_KEY =
      "{\"ak\": \"AK\", \"sk\": \"SK\", \"endpoint\": \"http://127.0.0.1:9\","
          + " \"region\": \"us-east-1\", \"hf_endpoint\": \"https://hf-mirror.example\", \"hf_token\": \"hf_secret\","
          + " \"hf_revision\": \"main\", \"num_threads\": 8, \"max_io_queue\": 100, \"io_chunksize\": 16777216,"
          + " \"part_threshold\": 134217728, \"part_chunksize\": 33554432, \"allow_file_suffix\": [\"json\"],"
          + " \"force_download\": true}";

  @Test
  void everyKeyOfAibrixExtraConfigIsAcceptedAndThoseThatMeanSomethingAreHonoured() {
    Job job = job(Map.of(), "--download-extra-config", EVERY_AIBRIX_KEY);

    assertEquals(8, job.fetch().maxInFlightRanges());
    assertEquals(134217728L, job.fetch().partThresholdBytes());
    assertEquals(33554432L, job.fetch().partSizeBytes());
    assertTrue(job.fetch().forceDownload());
    assertEquals(List.of("json"), job.models().get(0).filters().allowSuffixes());
    assertEquals(
        List.of("hf_endpoint", "hf_token", "hf_revision", "max_io_queue", "io_chunksize"),
        ExtraConfig.parse(EVERY_AIBRIX_KEY).ignoredKeys());
    assertFalse(
        ExtraConfig.parse(EVERY_AIBRIX_KEY).toString().contains("hf_secret"),
        "a token is never shown");
  }

  @Test
  void keysWithNoMeaningHereAreNamedOnceAtDebugLevelWithoutTheirValues() throws Exception {
    // In a JVM of its own: its logging is configured from --verbose at start. The run stops on the
    // bad --num-threads after the extra config and the environment are read, before any request.
    Map<String, String> env = new HashMap<>(ENV);
    env.put("HF_TOKEN", "hf_env_secret");
    env.put("DOWNLOADER_S3_MAX_IO_QUEUE", "100");
    Cli cli =
        ChildJvm.runCli(
            env,
            dir,
            "--verbose",
            "--local-dir",
            dir.toString(),
            "--model-uri",
            "s3://bkt/models/m/",
            "--num-threads",
            "0",
            "--download-extra-config",
            "{\"hf_token\": \"hf_secret\", \"max_io_queue\": 100, \"io_chunksize\": 1}");

    assertEquals(2, cli.status(), cli.toString());
    String keys =
        "--download-extra-config keys [hf_token, max_io_queue, io_chunksize] are AIBrix settings with no"
            + " meaning here (its Hugging Face source, boto3's transfer tuning); ignored";
    assertEquals(1, OperabilityIT.occurrences(cli.err(), keys), cli.err());
    assertEquals(
        1,
        OperabilityIT.occurrences(
            cli.err(),
            "[DOWNLOADER_S3_MAX_IO_QUEUE, HF_TOKEN] are AIBrix settings with no meaning here; ignored"),
        cli.err());
    assertTrue(cli.err().contains("DEBUG"), "at debug level: " + cli.err());
    assertFalse(
        cli.err().contains("hf_secret") || cli.err().contains("hf_env_secret"), "no token shown");
  }

  @Test
  void tuningKeysWithNoMeaningHereLeaveTheJobAsWithoutThem() {
    Job with =
        job(
            Map.of(),
            "--download-extra-config",
            "{\"max_io_queue\": 7, \"io_chunksize\": \"any value\", \"hf_revision\": null, \"hf_endpoint\": 3}");
    Job without = job(Map.of());
    assertEquals(without.fetch(), with.fetch());
    assertEquals(without.models().get(0).filters(), with.models().get(0).filters());
  }

  /**
   * AIBrix's {@code need_to_download} (downloader/utils.py) skips a file only when {@code not
   * force_download and not DOWNLOADER_FORCE_DOWNLOAD and DOWNLOADER_CHECK_FILE_EXIST}; the variable
   * is read by {@code _is_true} (envs.py: true for 1, ON, YES, TRUE in any case; default "1").
   */
  @ParameterizedTest
  @ValueSource(strings = {"0", "false", "FALSE", "no", "off"})
  void checkFileExistOffFetchesEveryFileAgainWhateverForceDownloadSays(String value) {
    Map<String, String> env = Map.of("DOWNLOADER_CHECK_FILE_EXIST", value);
    assertTrue(job(env).fetch().forceDownload());
    assertTrue(job(env, "--force-download=false").fetch().forceDownload());
    assertTrue(
        job(env, "--download-extra-config", "{\"force_download\": false}").fetch().forceDownload());
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "true", "TRUE", "yes", "On"})
  void checkFileExistOnOrUnsetTrustsFilesInPlace(String value) {
    assertFalse(job(Map.of("DOWNLOADER_CHECK_FILE_EXIST", value)).fetch().forceDownload());
    assertFalse(job(Map.of()).fetch().forceDownload());
    assertTrue(
        job(Map.of("DOWNLOADER_CHECK_FILE_EXIST", value), "--force-download")
            .fetch()
            .forceDownload());
  }

  @Test
  void givenForceDownloadFalseWinsOverTheVariable() {
    // A difference on purpose: AIBrix reads `force_download or DOWNLOADER_FORCE_DOWNLOAD`.
    Map<String, String> env = Map.of("DOWNLOADER_FORCE_DOWNLOAD", "1");
    assertTrue(job(env).fetch().forceDownload());
    assertFalse(
        job(env, "--download-extra-config", "{\"force_download\": false}").fetch().forceDownload());
    assertFalse(job(env, "--force-download=false").fetch().forceDownload());
  }
}
