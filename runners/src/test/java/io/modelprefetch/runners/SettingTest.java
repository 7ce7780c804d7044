package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.manifest.Manifest;
import io.modelprefetch.transforms.s3.EndpointResolver;
import io.modelprefetch.transforms.verify.Verification;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The table of settings: for every setting, a flag beats the extra config (or the manifest), which
 * beats the environment, which beats the {@code --config} file, which beats the default.
 */
class SettingTest {

  static final Map<String, String> FLAGS =
      Map.ofEntries(
          Map.entry("--num-threads", "9"),
          Map.entry("--part-size", "9MiB"),
          Map.entry("--part-threshold", "19MiB"),
          Map.entry("--force-download", "false"),
          Map.entry("--allow-file-suffix", "flag,x"),
          Map.entry("--verify", "size"),
          Map.entry("--direct-io", "true"),
          Map.entry("--require-digest", "false"),
          Map.entry("--stall-timeout", "9s"),
          Map.entry("--structure-check", "on"),
          Map.entry("--local-dir", "/flag"),
          Map.entry("--endpoint", "http://flag:9000"),
          Map.entry("--region", "flag-region"),
          Map.entry("--addressing", "path"),
          Map.entry("--runner", "flink"),
          Map.entry("--parallelism", "9"));

  static final ExtraConfig EXTRA =
      ExtraConfig.parse(
          "{\"num_threads\": 7, \"part_chunksize\": \"7MiB\", \"part_threshold\": 17825792,"
              + " \"force_download\": true, \"allow_file_suffix\": [\"extra\"],"
              + " \"endpoint\": \"http://extra:9000\", \"region\": \"extra-region\"}");

  static final Manifest MANIFEST =
      Manifest.parse("localDir: /manifest\nmodels: [{uri: 's3://bkt/m/'}]\n", "m.yaml");

  static final Map<String, String> ENV =
      Map.ofEntries(
          Map.entry("DOWNLOADER_NUM_THREADS", "6"),
          Map.entry("DOWNLOADER_PART_CHUNKSIZE", "6MiB"),
          Map.entry("DOWNLOADER_PART_THRESHOLD", "16MiB"),
          Map.entry("DOWNLOADER_CHECK_FILE_EXIST", "0"),
          Map.entry("DOWNLOADER_FORCE_DOWNLOAD", "0"),
          Map.entry("DOWNLOADER_ALLOW_FILE_SUFFIX", "env"),
          Map.entry("DOWNLOADER_VERIFY", "all"),
          Map.entry("DOWNLOADER_DIRECT_IO", "0"),
          Map.entry("DOWNLOADER_REQUIRE_DIGEST", "1"),
          Map.entry("DOWNLOADER_STALL_TIMEOUT", "6s"),
          Map.entry("DOWNLOADER_STRUCTURE_CHECK", "off"),
          Map.entry("DOWNLOADER_LOCAL_DIR", "/env"),
          Map.entry("AWS_ENDPOINT_URL_S3", "http://env-s3:9000"),
          Map.entry("AWS_ENDPOINT_URL", "http://second-variable:9000"),
          Map.entry("TOS_ENDPOINT", "https://env-tos"),
          Map.entry("AWS_REGION", "env-s3"),
          Map.entry("AWS_DEFAULT_REGION", "second-variable"),
          Map.entry("TOS_REGION", "env-tos"));

  static final ClusterConfig FILE =
      ClusterConfig.parse(
          """
          s3: {endpoint: "http://file-s3:9000", region: file-s3}
          tos: {endpoint: "https://file-tos", region: file-tos}
          addressing: virtual
          partSize: 5MiB
          partThreshold: 15MiB
          numThreads: 5
          localDir: /file
          runner: direct
          parallelism: 5
          """,
          "cluster.yaml");

  /** A value and the source that gave it; null where the setting has no such source. */
  record Given(Object value, String source) {}

  static Given given(Object value, String source) {
    return new Given(value, source);
  }

  /** What each source gives for {@code setting}, highest first, then its default. */
  record Row(
      Setting<?> setting, Given flag, Given document, Given env, Given file, Object defaultValue) {}

  static final long MIB = 1L << 20;

  static final List<Row> TABLE =
      List.of(
          new Row(
              Setting.NUM_THREADS,
              given(9, "--num-threads"),
              given(7, "--download-extra-config num_threads"),
              given(6, "DOWNLOADER_NUM_THREADS"),
              given(5, "--config numThreads"),
              0),
          new Row(
              Setting.PART_SIZE,
              given(9 * MIB, "--part-size"),
              given(7 * MIB, "--download-extra-config part_chunksize"),
              given(6 * MIB, "DOWNLOADER_PART_CHUNKSIZE"),
              given(5 * MIB, "--config partSize"),
              64 * MIB),
          new Row(
              Setting.PART_THRESHOLD,
              given(19 * MIB, "--part-threshold"),
              given(17 * MIB, "--download-extra-config part_threshold"),
              given(16 * MIB, "DOWNLOADER_PART_THRESHOLD"),
              given(15 * MIB, "--config partThreshold"),
              64 * MIB),
          new Row(
              Setting.CHECK_FILE_EXIST,
              null,
              null,
              given(false, "DOWNLOADER_CHECK_FILE_EXIST"),
              null,
              true),
          new Row(
              Setting.FORCE_DOWNLOAD,
              given(false, "--force-download"),
              given(true, "--download-extra-config force_download"),
              given(false, "DOWNLOADER_FORCE_DOWNLOAD"),
              null,
              false),
          new Row(
              Setting.ALLOW_FILE_SUFFIX,
              given(List.of("flag", "x"), "--allow-file-suffix"),
              given(List.of("extra"), "--download-extra-config allow_file_suffix"),
              given(List.of("env"), "DOWNLOADER_ALLOW_FILE_SUFFIX"),
              null,
              List.of()),
          new Row(
              Setting.VERIFY,
              given(Verification.SIZE, "--verify"),
              null,
              given(Verification.ALL, "DOWNLOADER_VERIFY"),
              null,
              Verification.FULL),
          new Row(
              Setting.DIRECT_IO,
              given(true, "--direct-io"),
              null,
              given(false, "DOWNLOADER_DIRECT_IO"),
              null,
              true),
          new Row(
              Setting.REQUIRE_DIGEST,
              given(false, "--require-digest"),
              null,
              given(true, "DOWNLOADER_REQUIRE_DIGEST"),
              null,
              false),
          new Row(
              Setting.STALL_TIMEOUT,
              given(Duration.ofSeconds(9), "--stall-timeout"),
              null,
              given(Duration.ofSeconds(6), "DOWNLOADER_STALL_TIMEOUT"),
              null,
              Duration.ofSeconds(30)),
          new Row(
              Setting.STRUCTURE_CHECK,
              given(true, "--structure-check"),
              null,
              given(false, "DOWNLOADER_STRUCTURE_CHECK"),
              null,
              true),
          new Row(
              Setting.LOCAL_DIR,
              given("/flag", "--local-dir"),
              given("/manifest", "--manifest localDir"),
              given("/env", "DOWNLOADER_LOCAL_DIR"),
              given("/file", "--config localDir"),
              "/tmp/aibrix/models/"),
          new Row(
              Setting.S3_ENDPOINT,
              given("http://flag:9000", "--endpoint"),
              given("http://extra:9000", "--download-extra-config endpoint"),
              given("http://env-s3:9000", "AWS_ENDPOINT_URL_S3"),
              given("http://file-s3:9000", "--config s3.endpoint"),
              null),
          new Row(
              Setting.TOS_ENDPOINT,
              given("http://flag:9000", "--endpoint"),
              given("http://extra:9000", "--download-extra-config endpoint"),
              given("https://env-tos", "TOS_ENDPOINT"),
              given("https://file-tos", "--config tos.endpoint"),
              null),
          new Row(
              Setting.S3_REGION,
              given("flag-region", "--region"),
              given("extra-region", "--download-extra-config region"),
              given("env-s3", "AWS_REGION"),
              given("file-s3", "--config s3.region"),
              null),
          new Row(
              Setting.TOS_REGION,
              given("flag-region", "--region"),
              given("extra-region", "--download-extra-config region"),
              given("env-tos", "TOS_REGION"),
              given("file-tos", "--config tos.region"),
              null),
          new Row(
              Setting.ADDRESSING,
              given(EndpointResolver.Addressing.PATH_STYLE, "--addressing"),
              null,
              null,
              given(EndpointResolver.Addressing.VIRTUAL_HOSTED, "--config addressing"),
              null),
          new Row(
              Setting.RUNNER,
              given("flink", "--runner"),
              null,
              null,
              given("direct", "--config runner"),
              null),
          new Row(
              Setting.PARALLELISM,
              given(9, "--parallelism"),
              null,
              null,
              given(5, "--config parallelism"),
              null));

  @Test
  void theTablePinsEverySetting() {
    assertEquals(
        Setting.ALL.stream().map(Setting::name).toList(),
        TABLE.stream().map(row -> row.setting().name()).toList());
  }

  @Test
  void eachSettingTakesTheFlagThenTheDocumentThenTheEnvironmentThenTheFileThenTheDefault() {
    // Each step takes the highest source away.
    List<Sources> steps =
        List.of(
            new Sources(FLAGS, EXTRA, MANIFEST, ENV, FILE),
            new Sources(Map.of(), EXTRA, MANIFEST, ENV, FILE),
            new Sources(Map.of(), ExtraConfig.NONE, null, ENV, FILE),
            new Sources(Map.of(), ExtraConfig.NONE, null, Map.of(), FILE),
            new Sources(Map.of(), ExtraConfig.NONE, null, Map.of(), ClusterConfig.NONE));
    for (Row row : TABLE) {
      List<Given> layers = new ArrayList<>();
      layers.add(row.flag());
      layers.add(row.document());
      layers.add(row.env());
      layers.add(row.file());
      for (int step = 0; step < steps.size(); step++) {
        Given expected = new Given(row.defaultValue(), null);
        for (Given layer : layers.subList(step, layers.size())) {
          if (layer != null) {
            expected = layer;
            break;
          }
        }
        Sources.Resolved<?> resolved = steps.get(step).resolve(row.setting());
        assertEquals(
            expected,
            new Given(resolved.value(), resolved.source()),
            row.setting() + " at step " + step);
      }
    }
  }

  @Test
  void everyFlagOfTheTableIsAnOptionOfRunThatReachesTheResolver() {
    List<String> args = new ArrayList<>();
    Setting.ALL.stream()
        .map(Setting::flag)
        .filter(flag -> flag != null)
        .distinct()
        .forEach(flag -> args.addAll(List.of(flag, FLAGS.get(flag))));
    RunCommand run =
        new RunCommand(
            new Main.Context(
                Map.of(),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream())));
    new CommandLine(run).parseArgs(args.toArray(String[]::new));

    assertEquals(FLAGS, run.flags().settings());
  }

  @Test
  void aBlankEndpointFlagGivesWayToTheFileAndABlankFirstVariableHidesTheSecond() {
    Map<String, String> blankFirst = new HashMap<>(ENV);
    blankFirst.put("AWS_ENDPOINT_URL_S3", " ");
    Sources blankFlag = new Sources(Map.of("--endpoint", ""), EXTRA, null, ENV, FILE);
    Sources blankVariable = new Sources(Map.of(), ExtraConfig.NONE, null, blankFirst, FILE);
    Sources blankVariableNoFile =
        new Sources(Map.of(), ExtraConfig.NONE, null, blankFirst, ClusterConfig.NONE);

    assertEquals(
        new Sources.Resolved<>("http://file-s3:9000", "--config s3.endpoint"),
        blankFlag.resolve(Setting.S3_ENDPOINT));
    assertEquals(
        new Sources.Resolved<>("http://file-s3:9000", "--config s3.endpoint"),
        blankVariable.resolve(Setting.S3_ENDPOINT));
    assertEquals(
        new Sources.Resolved<>(null, null), blankVariableNoFile.resolve(Setting.S3_ENDPOINT));
    assertEquals(
        new Sources.Resolved<>("", "--local-dir"),
        new Sources(Map.of("--local-dir", ""), EXTRA, MANIFEST, ENV, FILE)
            .resolve(Setting.LOCAL_DIR),
        "a blank flag is given for the other settings");
  }

  @Test
  void aWrongVariableIsRefusedEvenUnderAFlag() {
    Sources sources =
        new Sources(
            Map.of("--num-threads", "4"),
            ExtraConfig.NONE,
            null,
            Map.of("DOWNLOADER_NUM_THREADS", "many"),
            ClusterConfig.NONE);

    UsageException e = assertThrows(UsageException.class, () -> sources.value(Setting.NUM_THREADS));
    assertEquals(
        "DOWNLOADER_NUM_THREADS 'many' is not a whole number; give a number from 1 to 1024",
        e.getMessage());
  }
}
