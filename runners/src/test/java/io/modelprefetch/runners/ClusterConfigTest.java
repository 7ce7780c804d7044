package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchSettings;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --config FILE: precedence flag > environment > file > default, and one-line refusals. */
class ClusterConfigTest {

  @TempDir Path dir;

  ClusterConfig config(String yaml) throws Exception {
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(file, yaml);
    return ClusterConfig.read(file);
  }

  static JobResolver.Flags flags(
      Integer numThreads, Boolean force, String localDir, String endpoint) {
    return JobResolver.Flags.of(
        List.of("s3://bkt/models/llama/"),
        JobResolverTest.settings(
            "--local-dir",
            localDir,
            "--num-threads",
            numThreads,
            "--force-download",
            force,
            "--endpoint",
            endpoint));
  }

  @Test
  void fileBeatsDefaultEnvironmentBeatsFileFlagBeatsAll() throws Exception {
    ClusterConfig file =
        config(
            """
        s3: {endpoint: "http://10.0.0.1:9000", region: eu-west-1}
        numThreads: 12
        partSize: 8MiB
        partThreshold: 16MiB
        localDir: %s
        """
                .formatted(dir.resolve("from-file")));

    Job fromFile = new JobResolver(Map.of(), file).resolve(flags(null, null, null, null));
    assertEquals(
        FetchSettings.defaults()
            .withPartThresholdBytes(16L << 20)
            .withPartSizeBytes(8L << 20)
            .withMaxInFlightRanges(12),
        fromFile.fetch());
    assertEquals(
        dir.resolve("from-file").resolve("llama").toString(), fromFile.models().get(0).modelDir());
    assertEquals("http://10.0.0.1:9000", fromFile.models().get(0).client().endpoint());
    assertEquals("eu-west-1", fromFile.models().get(0).client().region());

    Map<String, String> env =
        Map.of(
            "DOWNLOADER_NUM_THREADS",
            "6",
            "DOWNLOADER_PART_CHUNKSIZE",
            "2MiB",
            "DOWNLOADER_LOCAL_DIR",
            dir.resolve("from-env").toString(),
            "AWS_ENDPOINT_URL",
            "http://10.0.0.2:9000",
            "AWS_REGION",
            "us-west-2",
            "DOWNLOADER_FORCE_DOWNLOAD",
            "1");
    Job fromEnv = new JobResolver(env, file).resolve(flags(null, null, null, null));
    assertEquals(6, fromEnv.fetch().maxInFlightRanges());
    assertEquals(2L << 20, fromEnv.fetch().partSizeBytes());
    assertEquals(
        16L << 20,
        fromEnv.fetch().partThresholdBytes(),
        "the file still fills what the environment leaves");
    assertEquals(
        dir.resolve("from-env").resolve("llama").toString(), fromEnv.models().get(0).modelDir());
    assertEquals("http://10.0.0.2:9000", fromEnv.models().get(0).client().endpoint());
    assertEquals("us-west-2", fromEnv.models().get(0).client().region());
    assertEquals(true, fromEnv.fetch().forceDownload());

    Job fromFlags =
        new JobResolver(env, file)
            .resolve(flags(1, false, dir.resolve("from-flag").toString(), "http://10.0.0.3:9000"));
    assertEquals(1, fromFlags.fetch().maxInFlightRanges());
    assertEquals(
        false,
        fromFlags.fetch().forceDownload(),
        "an explicit false flag wins over DOWNLOADER_FORCE_DOWNLOAD=1");
    assertEquals(
        dir.resolve("from-flag").resolve("llama").toString(), fromFlags.models().get(0).modelDir());
    assertEquals("http://10.0.0.3:9000", fromFlags.models().get(0).client().endpoint());
  }

  @Test
  void explicitAddressingAndRunnerFlagsWinOverTheFile() throws Exception {
    ClusterConfig file = config("addressing: virtual\nrunner: flink\nparallelism: 3\n");
    RunCommand run =
        new RunCommand(
            new Main.Context(
                Map.of(),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream())));
    run.modelUris = List.of("s3://bkt/m/");

    assertEquals(
        io.modelprefetch.transforms.s3.EndpointResolver.Addressing.VIRTUAL_HOSTED,
        Sources.of(run.flags(), Map.of(), file).valueOrNull(Setting.ADDRESSING));
    assertEquals(
        new RunnerChoice(RunnerChoice.Kind.FLINK, RunnerChoice.LOCAL, 3), run.runnerChoice(file));
    run.connection.addressing = "auto";
    run.runner = "direct";
    run.parallelism = 1;
    assertNull(
        Sources.of(run.flags(), Map.of(), file).valueOrNull(Setting.ADDRESSING),
        "--addressing auto wins over the file's virtual");
    assertEquals(new RunnerChoice(RunnerChoice.Kind.DIRECT, null, 1), run.runnerChoice(file));
  }

  @Test
  void doctorTakesEndpointRegionAndAddressingFromTheFileBelowEnvironmentAndFlags()
      throws Exception {
    Path file = dir.resolve("cluster.yaml");
    Files.writeString(
        file,
        """
        s3: {endpoint: "http://10.0.0.1:9000", region: eu-west-1}
        tos: {endpoint: "https://tos-s3-cn-beijing.ivolces.com", region: cn-beijing}
        addressing: virtual
        """);

    ClientRecipe fromFile = doctor(Map.of(), file, "s3://bkt/m/").job().models().get(0).client();
    assertEquals(
        List.of("http://10.0.0.1:9000", "eu-west-1", false),
        List.of(fromFile.endpoint(), fromFile.region(), fromFile.pathStyle()),
        "the file's virtual over the IP's path-style");
    ClientRecipe tos = doctor(Map.of(), file, "tos://bkt/m/").job().models().get(0).client();
    assertEquals(
        List.of("https://tos-s3-cn-beijing.ivolces.com", "cn-beijing"),
        List.of(tos.endpoint(), tos.region()));

    Map<String, String> env =
        Map.of("AWS_ENDPOINT_URL", "http://10.0.0.2:9000", "AWS_REGION", "us-west-2");
    ClientRecipe fromEnv = doctor(env, file, "s3://bkt/m/").job().models().get(0).client();
    assertEquals(
        List.of("http://10.0.0.2:9000", "us-west-2", false),
        List.of(fromEnv.endpoint(), fromEnv.region(), fromEnv.pathStyle()));

    DoctorCommand flagged = doctor(env, file, "s3://bkt/m/");
    flagged.connection.endpoint = "http://10.0.0.3:9000";
    flagged.connection.addressing = "path";
    ClientRecipe fromFlags = flagged.job().models().get(0).client();
    assertEquals(
        List.of("http://10.0.0.3:9000", "us-west-2", true),
        List.of(fromFlags.endpoint(), fromFlags.region(), fromFlags.pathStyle()));
  }

  static DoctorCommand doctor(Map<String, String> env, Path configFile, String modelUri) {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    DoctorCommand doctor = new DoctorCommand(new Main.Context(env, quiet, quiet));
    doctor.modelUri = modelUri;
    doctor.configFile = configFile;
    return doctor;
  }

  @Test
  void theExampleConfigParses() {
    ClusterConfig example =
        ClusterConfig.read(
            Path.of(System.getProperty("user.dir")).resolve("../configs/cluster.yaml"));
    assertEquals(
        new ClusterConfig(
            "http://minio.storage.svc:9000",
            "us-east-1",
            "https://tos-s3-cn-beijing.ivolces.com",
            "cn-beijing",
            "auto",
            "64MiB",
            "64MiB",
            16,
            "/models",
            "direct",
            4),
        example);
  }

  @Test
  void unknownKeyIsRefusedNamingKeyAndLine() throws Exception {
    UsageException e =
        assertThrows(
            UsageException.class,
            () -> config("numThreads: 4\ns3:\n  endpoint: http://x\n  zone: a\n"));
    assertEquals(
        "--config "
            + dir.resolve("cluster.yaml")
            + " line 4: unknown key 's3.zone'; known keys here: endpoint, region",
        e.getMessage());
    e = assertThrows(UsageException.class, () -> config("numThreads: 4\nthreads: 4\n"));
    assertEquals(
        "--config "
            + dir.resolve("cluster.yaml")
            + " line 2: unknown key 'threads'; known keys here: s3, tos,"
            + " addressing, partSize, partThreshold, numThreads, localDir, runner, parallelism",
        e.getMessage());
  }

  @Test
  void secretsAreRefusedWithOneLine() throws Exception {
    for (String key : List.of("ak", "sk", "secretKey", "secret_access_key")) {
      UsageException e =
          assertThrows(
              UsageException.class, () -> config("tos:\n  region: cn-beijing\n  " + key + ": x\n"));
      assertEquals(
          "--config "
              + dir.resolve("cluster.yaml")
              + " line 3: 'tos."
              + key
              + "' looks like a secret; secrets"
              + " belong in the environment (TOS_ACCESS_KEY/TOS_SECRET_KEY, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), never"
              + " in a config file",
          e.getMessage());
    }
    UsageException top = assertThrows(UsageException.class, () -> config("sk: x\n"));
    assertEquals(
        "--config "
            + dir.resolve("cluster.yaml")
            + " line 1: 'sk' looks like a secret; secrets belong in the"
            + " environment (TOS_ACCESS_KEY/TOS_SECRET_KEY, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), never in a config file",
        top.getMessage());
  }

  @Test
  void badValuesNameTheFileAndLine() throws Exception {
    UsageException e = assertThrows(UsageException.class, () -> config("partSize: 64 parsecs\n"));
    assertEquals(
        "--config "
            + dir.resolve("cluster.yaml")
            + " line 1: partSize '64 parsecs' is not a size; give bytes"
            + " (67108864) or a size such as 64MiB",
        e.getMessage());
    e = assertThrows(UsageException.class, () -> config("localDir: /m\nnumThreads: 0\n"));
    assertEquals(
        "--config "
            + dir.resolve("cluster.yaml")
            + " line 2: numThreads is 0; give a number from 1 to 1024",
        e.getMessage());
    e = assertThrows(UsageException.class, () -> ClusterConfig.read(dir.resolve("absent.yaml")));
    assertEquals("--config " + dir.resolve("absent.yaml") + " does not exist", e.getMessage());
  }

  @Test
  void aValueOfTheWrongShapeIsNamedByItsKeyAndLine() throws Exception {
    String file = "--config " + dir.resolve("cluster.yaml");
    assertEquals(
        file + " must be a YAML mapping such as 'numThreads: 16'",
        assertThrows(UsageException.class, () -> config("- numThreads: 16\n")).getMessage());
    assertEquals(
        file + " line 2: 's3' must be a mapping such as 's3: {endpoint: https://..., region: ...}'",
        assertThrows(UsageException.class, () -> config("numThreads: 4\ns3: http://x\n"))
            .getMessage());
    assertEquals(
        file + " line 3: 'tos.region' must be a single value",
        assertThrows(
                UsageException.class,
                () -> config("tos:\n  endpoint: https://x\n  region: [a, b]\n"))
            .getMessage());
    assertEquals(
        file + " line 1: 'numThreads' must be a single value",
        assertThrows(UsageException.class, () -> config("numThreads: {n: 4}\n")).getMessage());
  }

  @Test
  void aFileOfCommentsSetsNothingAndScalarsAreReadAsTheirText() throws Exception {
    assertEquals(ClusterConfig.NONE, config("# nothing yet\n"));
    assertEquals(ClusterConfig.NONE, config(""));
    ClusterConfig quoted = config("numThreads: \"8\"\nparallelism: 2\nlocalDir: 5\n");
    assertEquals(
        List.of(8, 2, "5"), List.of(quoted.numThreads(), quoted.parallelism(), quoted.localDir()));
  }

  @Test
  void noMessageShowsTheValueOfASecretKey() throws Exception {
    for (String yaml :
        List.of(
            "sk: hunter2-SECRET\n",
            "s3:\n  secret_access_key: [hunter2-SECRET]\n",
            "tos: {region: r, password: {v: hunter2-SECRET}}\n",
            "sk: \"hunter2-SECRET\n",
            "sk: !!binary hunter2-SECRET\n")) {
      UsageException e = assertThrows(UsageException.class, () -> config(yaml));
      assertEquals(false, e.getMessage().contains("hunter2"), e.getMessage());
    }
  }
}
