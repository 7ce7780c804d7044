package io.modelprefetch.runners;

import io.modelprefetch.transforms.manifest.Manifest;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.s3.EndpointResolver;
import io.modelprefetch.transforms.verify.Verification;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One setting of a run and where each source carries it: the table {@link Sources} walks, in one
 * order for every setting: the flag, then {@code --download-extra-config} (or, for the destination,
 * the manifest), then the environment, then the {@code --config} file, then the default.
 *
 * <p>The command line and the environment give text, which {@link #parser} reads, naming the flag
 * or variable in its error. The extra config, the manifest and the file are typed records, checked
 * when they are read (where an error can name the key and its line); a column holds the typed
 * value.
 *
 * @param name the setting, as the {@code --config} file spells it where it has one
 * @param parser reads the text of the flag or of a variable; {@code source} names it in errors
 * @param flag the flag, or null
 * @param extraConfigKey the {@code --download-extra-config} key, or null
 * @param extraConfig the extra config's value, null when not given; null when there is no key
 * @param manifest the manifest's value, null when not given; null when the manifest has none
 * @param variables the environment variables; the first one that is set decides, a blank one counts
 *     as not given (and hides the later ones)
 * @param fileKey the {@code --config} file key, or null
 * @param file the file's value, null when not given; null when the file has no key
 * @param defaultValue the value when no source gives one (null: none)
 * @param blankFromFile whether a blank flag or extra-config value gives way to the file's value
 *     (the endpoints and regions: {@code --endpoint ''} leaves the file's endpoint in force); for
 *     the others a blank flag is given, and refused by a parser that needs a value
 */
record Setting<T>(
    String name,
    Parser<T> parser,
    @Nullable String flag,
    @Nullable String extraConfigKey,
    @Nullable Function<ExtraConfig, T> extraConfig,
    @Nullable Function<Manifest, T> manifest,
    List<String> variables,
    @Nullable String fileKey,
    @Nullable Function<ClusterConfig, T> file,
    @Nullable T defaultValue,
    boolean blankFromFile) {

  /**
   * Reads the text of a flag or an environment variable; null only for {@link #ADDRESSING}'s auto.
   */
  interface Parser<T> {
    @Nullable T parse(String source, String text);
  }

  // Given anywhere, the number holds; else (ADAPTIVE) a controller adapts it to the link.
  static final Setting<Integer> NUM_THREADS =
      of("numThreads", (source, text) -> Values.count(source, text, 1, 1024))
          .withFlag("--num-threads")
          .withExtraConfig("num_threads", ExtraConfig::numThreads)
          .withEnv("DOWNLOADER_NUM_THREADS")
          .withFile("numThreads", ClusterConfig::numThreads)
          .withDefault(FetchSettings.ADAPTIVE);

  static final Setting<Long> PART_SIZE =
      of("partSize", Values::partSize)
          .withFlag("--part-size")
          .withExtraConfig("part_chunksize", ExtraConfig::partChunksize)
          .withEnv("DOWNLOADER_PART_CHUNKSIZE")
          .withFile("partSize", ClusterConfig::partSizeBytes)
          .withDefault(FetchSettings.DEFAULT_PART_SIZE_BYTES);

  static final Setting<Long> PART_THRESHOLD =
      of("partThreshold", Values::size)
          .withFlag("--part-threshold")
          .withExtraConfig("part_threshold", ExtraConfig::partThreshold)
          .withEnv("DOWNLOADER_PART_THRESHOLD")
          .withFile("partThreshold", ClusterConfig::partThresholdBytes)
          .withDefault(FetchSettings.DEFAULT_PART_SIZE_BYTES);

  // AIBrix trusts a file already in place only while DOWNLOADER_CHECK_FILE_EXIST is true (default
  // "1"): with "0" its need_to_download (aibrix/downloader/utils.py) fetches every file again,
  // whatever force_download says.
  static final Setting<Boolean> CHECK_FILE_EXIST =
      of("checkFileExist", Values::bool).withEnv("DOWNLOADER_CHECK_FILE_EXIST").withDefault(true);

  static final Setting<Boolean> FORCE_DOWNLOAD =
      of("forceDownload", Values::bool)
          .withFlag("--force-download")
          .withExtraConfig("force_download", ExtraConfig::forceDownload)
          .withEnv("DOWNLOADER_FORCE_DOWNLOAD")
          .withDefault(false);

  // The flag's values arrive joined with commas (RunCommand), so the flag splits as the variable.
  static final Setting<List<String>> ALLOW_FILE_SUFFIX =
      Setting.<List<String>>of("allowFileSuffix", (source, text) -> Values.aibrixList(text))
          .withFlag("--allow-file-suffix")
          .withExtraConfig("allow_file_suffix", ExtraConfig::allowFileSuffix)
          .withEnv("DOWNLOADER_ALLOW_FILE_SUFFIX")
          .withDefault(List.of());

  static final Setting<Verification> VERIFY =
      of("verify", Values::verification)
          .withFlag("--verify")
          .withEnv("DOWNLOADER_VERIFY")
          .withDefault(Verification.FULL);

  static final Setting<Boolean> DIRECT_IO =
      of("directIo", Values::bool)
          .withFlag("--direct-io")
          .withEnv("DOWNLOADER_DIRECT_IO")
          .withDefault(true);

  static final Setting<Boolean> REQUIRE_DIGEST =
      of("requireDigest", Values::bool)
          .withFlag("--require-digest")
          .withEnv("DOWNLOADER_REQUIRE_DIGEST")
          .withDefault(false);

  static final Setting<Duration> STALL_TIMEOUT =
      of("stallTimeout", Values::duration)
          .withFlag("--stall-timeout")
          .withEnv("DOWNLOADER_STALL_TIMEOUT")
          .withDefault(FetchSettings.DEFAULT_STALL_TIMEOUT);

  static final Setting<Boolean> STRUCTURE_CHECK =
      of("structureCheck", Values::onOff)
          .withFlag("--structure-check")
          .withEnv("DOWNLOADER_STRUCTURE_CHECK")
          .withDefault(true);

  // A manifest's localDir sits where the extra config sits for the others.
  static final Setting<String> LOCAL_DIR =
      of("localDir", Setting::text)
          .withFlag("--local-dir")
          .withManifest(Manifest::localDir)
          .withEnv("DOWNLOADER_LOCAL_DIR")
          .withFile("localDir", ClusterConfig::localDir)
          .withDefault(JobResolver.DEFAULT_LOCAL_DIR);

  // The endpoint and region of s3:// and of tos:// share their flag and extra-config key.
  static final Setting<String> S3_ENDPOINT =
      of("s3.endpoint", Setting::text)
          .withFlag("--endpoint")
          .withExtraConfig("endpoint", ExtraConfig::endpoint)
          .withEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
          .withFile("s3.endpoint", ClusterConfig::s3Endpoint)
          .withBlankFromFile();

  static final Setting<String> TOS_ENDPOINT =
      of("tos.endpoint", Setting::text)
          .withFlag("--endpoint")
          .withExtraConfig("endpoint", ExtraConfig::endpoint)
          .withEnv("TOS_ENDPOINT")
          .withFile("tos.endpoint", ClusterConfig::tosEndpoint)
          .withBlankFromFile();

  static final Setting<String> S3_REGION =
      of("s3.region", Setting::text)
          .withFlag("--region")
          .withExtraConfig("region", ExtraConfig::region)
          .withEnv("AWS_REGION", "AWS_DEFAULT_REGION")
          .withFile("s3.region", ClusterConfig::s3Region)
          .withBlankFromFile();

  static final Setting<String> TOS_REGION =
      of("tos.region", Setting::text)
          .withFlag("--region")
          .withExtraConfig("region", ExtraConfig::region)
          .withEnv("TOS_REGION")
          .withFile("tos.region", ClusterConfig::tosRegion)
          .withBlankFromFile();

  // null is auto; a flag's explicit auto still wins over the file.
  static final Setting<EndpointResolver.Addressing> ADDRESSING =
      of("addressing", Values::addressing)
          .withFlag("--addressing")
          .withFile("addressing", ClusterConfig::addressingStyle);

  // RunnerChoice checks the name and the range, naming the source.
  static final Setting<String> RUNNER =
      of("runner", Setting::text).withFlag("--runner").withFile("runner", ClusterConfig::runner);

  static final Setting<Integer> PARALLELISM =
      of("parallelism", (source, text) -> Integer.valueOf(text))
          .withFlag("--parallelism")
          .withFile("parallelism", ClusterConfig::parallelism);

  /** Every setting, in the order a run resolves them. */
  static final List<Setting<?>> ALL =
      List.of(
          NUM_THREADS,
          PART_SIZE,
          PART_THRESHOLD,
          CHECK_FILE_EXIST,
          FORCE_DOWNLOAD,
          ALLOW_FILE_SUFFIX,
          VERIFY,
          DIRECT_IO,
          REQUIRE_DIGEST,
          STALL_TIMEOUT,
          STRUCTURE_CHECK,
          LOCAL_DIR,
          S3_ENDPOINT,
          TOS_ENDPOINT,
          S3_REGION,
          TOS_REGION,
          ADDRESSING,
          RUNNER,
          PARALLELISM);

  /** A setting that no source carries yet and has no default. */
  static <T> Setting<T> of(String name, Parser<T> parser) {
    return new Setting<>(name, parser, null, null, null, null, List.of(), null, null, null, false);
  }

  Setting<T> withFlag(String flag) {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        manifest,
        variables,
        fileKey,
        file,
        defaultValue,
        blankFromFile);
  }

  Setting<T> withExtraConfig(String key, Function<ExtraConfig, T> value) {
    return new Setting<>(
        name,
        parser,
        flag,
        key,
        value,
        manifest,
        variables,
        fileKey,
        file,
        defaultValue,
        blankFromFile);
  }

  Setting<T> withManifest(Function<Manifest, T> value) {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        value,
        variables,
        fileKey,
        file,
        defaultValue,
        blankFromFile);
  }

  Setting<T> withEnv(String... names) {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        manifest,
        List.of(names),
        fileKey,
        file,
        defaultValue,
        blankFromFile);
  }

  Setting<T> withFile(String key, Function<ClusterConfig, T> value) {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        manifest,
        variables,
        key,
        value,
        defaultValue,
        blankFromFile);
  }

  Setting<T> withDefault(T value) {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        manifest,
        variables,
        fileKey,
        file,
        value,
        blankFromFile);
  }

  Setting<T> withBlankFromFile() {
    return new Setting<>(
        name,
        parser,
        flag,
        extraConfigKey,
        extraConfig,
        manifest,
        variables,
        fileKey,
        file,
        defaultValue,
        true);
  }

  private static String text(String source, String text) {
    return text;
  }

  @Override
  public String toString() {
    return name;
  }
}
