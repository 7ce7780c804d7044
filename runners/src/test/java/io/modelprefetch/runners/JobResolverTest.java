package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.pipeline.PrefetchOptions;
import io.modelprefetch.transforms.model.CredentialsSource;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.verify.Verification;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Precedence: a flag, then --download-extra-config, then the environment, then the default. */
class JobResolverTest {

  @TempDir Path dir;

  JobResolver.Flags flags(String extraConfig, Integer numThreads, Boolean force, String localDir) {
    return new JobResolver.Flags(
        List.of("s3://bkt/models/llama/"),
        null,
        null,
        null,
        null,
        extraConfig,
        null,
        List.of(),
        settings(
            "--local-dir",
            localDir,
            "--num-threads",
            numThreads,
            "--force-download",
            force,
            "--endpoint",
            "http://127.0.0.1:9000"));
  }

  /** Flags with only {@code --verify} and {@code --direct-io} (either may be null: not given). */
  JobResolver.Flags fetchFlags(String verify, String directIo) {
    return JobResolver.Flags.of(
        List.of("s3://bkt/models/llama/"),
        settings(
            "--local-dir",
            dir.toString(),
            "--verify",
            verify,
            "--direct-io",
            directIo,
            "--endpoint",
            "http://127.0.0.1:9000"));
  }

  @Test
  void verificationIsFullUnlessTheFlagOrTheEnvironmentSaysSizeAndTheFlagWins() {
    Map<String, String> sizeEnv = Map.of("DOWNLOADER_VERIFY", "Size");

    assertEquals(
        Verification.FULL, resolve(Map.of(), fetchFlags(null, null)).fetch().verification());
    assertEquals(
        Verification.SIZE, resolve(sizeEnv, fetchFlags(null, null)).fetch().verification());
    assertEquals(
        Verification.FULL, resolve(sizeEnv, fetchFlags("full", null)).fetch().verification());
    assertEquals(
        Verification.SIZE, resolve(Map.of(), fetchFlags("size", null)).fetch().verification());
  }

  @Test
  void directIoIsOnUnlessTheFlagOrTheEnvironmentTurnsItOffAndTheFlagWins() {
    Map<String, String> offEnv = Map.of("DOWNLOADER_DIRECT_IO", "False");

    assertEquals(true, resolve(Map.of(), fetchFlags(null, null)).fetch().directIo());
    assertEquals(false, resolve(offEnv, fetchFlags(null, null)).fetch().directIo());
    assertEquals(true, resolve(offEnv, fetchFlags(null, "true")).fetch().directIo());
    assertEquals(false, resolve(Map.of(), fetchFlags(null, "false")).fetch().directIo());
  }

  @Test
  void directIoFlagFalseReachesThePipelineOptions() {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    RunCommand run = new RunCommand(new Main.Context(Map.of(), quiet, quiet));
    new CommandLine(run)
        .parseArgs(
            "--model-uri",
            "s3://bkt/models/llama/",
            "--local-dir",
            dir.toString(),
            "--endpoint",
            "http://127.0.0.1:9000",
            "--direct-io",
            "false");

    PrefetchOptions options = PrefetchRun.pipelineOptions(resolve(Map.of(), run.flags()));

    assertEquals(false, options.getDirectIo());
    assertEquals(false, PrefetchOptions.fetchSettings(options).directIo());
  }

  /** Flags with only {@code --structure-check} (null: not given). */
  JobResolver.Flags structureFlags(String structureCheck) {
    return JobResolver.Flags.of(
        List.of("s3://bkt/models/llama/"),
        settings(
            "--local-dir",
            dir.toString(),
            "--structure-check",
            structureCheck,
            "--endpoint",
            "http://127.0.0.1:9000"));
  }

  @Test
  void structureCheckIsOnUnlessTheFlagOrTheEnvironmentTurnsItOffAndTheFlagWins() {
    Map<String, String> offEnv = Map.of("DOWNLOADER_STRUCTURE_CHECK", "OFF");

    assertEquals(true, resolve(Map.of(), structureFlags(null)).fetch().structureCheck());
    assertEquals(false, resolve(offEnv, structureFlags(null)).fetch().structureCheck());
    assertEquals(
        false,
        resolve(Map.of("DOWNLOADER_STRUCTURE_CHECK", "0"), structureFlags(null))
            .fetch()
            .structureCheck());
    assertEquals(true, resolve(offEnv, structureFlags("on")).fetch().structureCheck());
    assertEquals(false, resolve(Map.of(), structureFlags("off")).fetch().structureCheck());
  }

  @Test
  void structureCheckOffReachesThePipelineOptionsAndItsPassThroughIsRefused() {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    RunCommand run = new RunCommand(new Main.Context(Map.of(), quiet, quiet));
    new CommandLine(run)
        .parseArgs(
            "--model-uri",
            "s3://bkt/models/llama/",
            "--local-dir",
            dir.toString(),
            "--endpoint",
            "http://127.0.0.1:9000",
            "--structure-check",
            "off");

    PrefetchOptions options = PrefetchRun.pipelineOptions(resolve(Map.of(), run.flags()));

    assertEquals(false, options.getStructureCheck());
    assertEquals(false, PrefetchOptions.fetchSettings(options).structureCheck());
    UsageException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            UsageException.class,
            () -> PrefetchRun.refuseOptionsSetByFlags(List.of("--structureCheck=false")));
    assertEquals(
        "pipeline option --structureCheck=false is set by the command line's --structure-check flag, which"
            + " would overwrite it; give --structure-check instead",
        refused.getMessage());
  }

  /** Flag names and values, in pairs; a null value is not given. */
  static Map<String, String> settings(Object... flagsAndValues) {
    Map<String, String> settings = new HashMap<>();
    for (int i = 0; i < flagsAndValues.length; i += 2) {
      settings.put((String) flagsAndValues[i], Objects.toString(flagsAndValues[i + 1], null));
    }
    return settings;
  }

  Job resolve(Map<String, String> env, JobResolver.Flags flags) {
    return new JobResolver(env).resolve(flags);
  }

  @Test
  void defaultsApplyWhenNothingIsGiven() {
    Job job = resolve(Map.of(), flags(null, null, null, dir.toString()));

    assertEquals(FetchSettings.defaults(), job.fetch());
    assertEquals(dir.resolve("llama").toString(), job.models().get(0).modelDir());
    assertEquals(
        CredentialsSource.Type.AWS_DEFAULT_CHAIN,
        job.models().get(0).client().credentials().type());
  }

  @Test
  void environmentBeatsDefaultExtraConfigBeatsEnvironmentFlagBeatsAll() {
    Map<String, String> env =
        Map.of("DOWNLOADER_NUM_THREADS", "6", "DOWNLOADER_FORCE_DOWNLOAD", "1");

    assertEquals(
        6, resolve(env, flags(null, null, null, dir.toString())).fetch().maxInFlightRanges());
    assertEquals(
        true, resolve(env, flags(null, null, null, dir.toString())).fetch().forceDownload());
    Job extra =
        resolve(
            env,
            flags("{\"num_threads\": 7, \"force_download\": false}", null, null, dir.toString()));
    assertEquals(7, extra.fetch().maxInFlightRanges());
    assertEquals(false, extra.fetch().forceDownload());
    Job flag =
        resolve(
            env, flags("{\"num_threads\": 7, \"force_download\": true}", 9, false, dir.toString()));
    assertEquals(9, flag.fetch().maxInFlightRanges());
    assertEquals(false, flag.fetch().forceDownload());
  }

  @Test
  void localDirComesFromFlagThenManifestThenEnvironment() throws Exception {
    Path manifest = dir.resolve("m.yaml");
    Files.writeString(
        manifest,
        "localDir: " + dir.resolve("from-manifest") + "\nmodels:\n  - uri: s3://bkt/x/\n");
    Map<String, String> env = Map.of("DOWNLOADER_LOCAL_DIR", dir.resolve("from-env").toString());
    JobResolver resolver = new JobResolver(env);
    JobResolver.Flags noDir =
        new JobResolver.Flags(
            null,
            null,
            manifest,
            null,
            null,
            null,
            null,
            List.of(),
            settings("--endpoint", "http://127.0.0.1:9000"));
    JobResolver.Flags withDir =
        new JobResolver.Flags(
            null,
            null,
            manifest,
            null,
            null,
            null,
            null,
            List.of(),
            settings(
                "--local-dir",
                dir.resolve("from-flag").toString(),
                "--endpoint",
                "http://127.0.0.1:9000"));

    assertEquals(
        dir.resolve("from-manifest/x").toString(),
        resolver.resolve(noDir).models().get(0).modelDir());
    assertEquals(
        dir.resolve("from-flag/x").toString(),
        resolver.resolve(withDir).models().get(0).modelDir());
    assertEquals(
        dir.resolve("from-env/llama").toString(),
        resolve(env, flags(null, null, null, null)).models().get(0).modelDir());
  }

  @Test
  void recipeHoldsNoSecret() {
    Map<String, String> env =
        Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "s3cr3t-Value-42");

    Job job =
        resolve(
            env, flags("{\"ak\": \"AK2\", \"sk\": \"other-s3cr3t\"}", null, null, dir.toString()));

    String shipped = job.toString();
    assertEquals(false, shipped.contains("s3cr3t"), shipped);
    assertEquals(
        new CredentialsSource(CredentialsSource.Type.IN_PROCESS, "download-extra-config"),
        job.models().get(0).client().credentials());
  }
}
