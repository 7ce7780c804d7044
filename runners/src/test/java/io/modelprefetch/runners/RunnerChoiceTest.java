package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.PrefetchMetrics;
import io.modelprefetch.transforms.model.CredentialsSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runner selection, the credential recipe for workers in other JVMs, and the exit status from
 * metrics; offline (the DirectRunner only).
 */
class RunnerChoiceTest {

  static final String SECRET = "Fl1nkNeverSees-9c2e7d";

  @TempDir Path dir;

  JobResolver.Flags flags(String uri, String extraConfig) {
    return new JobResolver.Flags(
        List.of(uri),
        null,
        null,
        null,
        null,
        extraConfig,
        null,
        List.of("--maxBundleSize=7"),
        JobResolverTest.settings(
            "--local-dir", dir.toString(), "--endpoint", "http://127.0.0.1:9000"));
  }

  static Map<String, String> envWithKeys() {
    return Map.of(
        "AWS_ACCESS_KEY_ID",
        "AKIDFLINK",
        "AWS_SECRET_ACCESS_KEY",
        SECRET,
        "TOS_ACCESS_KEY",
        "AKTOSFLINK",
        "TOS_SECRET_KEY",
        SECRET,
        "TOS_REGION",
        "us-east-1");
  }

  @Test
  void directIsTheDefaultAndAddsNoPipelineOption() {
    Job job =
        new JobResolver(Map.of())
            .resolve(flags("s3://bkt/m/", null), RunnerChoice.of(null, null, null, null));

    assertEquals(List.of("--maxBundleSize=7"), job.pipelineArgs());
    assertEquals(RunnerChoice.DIRECT, RunnerChoice.of(null, null, null, null));
    assertEquals(
        List.of("--targetParallelism=3"), RunnerChoice.of("direct", null, null, 3).pipelineArgs());
  }

  @Test
  void flinkDefaultsToEmbeddedWhichKeepsKeysInThisJvm() {
    RunnerChoice embedded = RunnerChoice.of("flink", null, null, 2);
    Job job = new JobResolver(envWithKeys()).resolve(flags("s3://bkt/m/", null), embedded);

    assertFalse(embedded.remoteWorkers());
    assertEquals(
        List.of(
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--parallelism=2",
            "--maxBundleSize=7"),
        job.pipelineArgs());
    assertEquals(
        CredentialsSource.Type.IN_PROCESS, job.models().get(0).client().credentials().type());
  }

  @Test
  void clusterWorkersResolveKeysFromTheirOwnEnvironmentAndNothingSecretIsShipped()
      throws IOException {
    RunnerChoice cluster = RunnerChoice.of("FlinkRunner", "127.0.0.1:8081", null, 4);
    JobResolver resolver = new JobResolver(envWithKeys());

    Job s3 = resolver.resolve(flags("s3://bkt/m/", null), cluster);
    Job tos = resolver.resolve(flags("tos://bkt/m/", null), cluster);

    assertTrue(cluster.remoteWorkers());
    assertEquals(
        CredentialsSource.of(CredentialsSource.Type.AWS_DEFAULT_CHAIN),
        s3.models().get(0).client().credentials());
    assertEquals(
        CredentialsSource.of(CredentialsSource.Type.TOS_ENVIRONMENT),
        tos.models().get(0).client().credentials());
    assertEquals(
        List.of(
            "--runner=FlinkRunner",
            "--flinkMaster=127.0.0.1:8081",
            "--parallelism=4",
            "--maxBundleSize=7"),
        s3.pipelineArgs());
    // What a runner ships: the serialized models (inside the job graph) and the pipeline options.
    for (Job job : List.of(s3, tos)) {
      String shipped = serialized(job.models()) + job.pipelineArgs() + job;
      assertFalse(shipped.contains(SECRET), "a secret would reach the cluster: " + job);
      assertFalse(shipped.contains("AKIDFLINK"));
    }
  }

  @Test
  void keysOnlyInExtraConfigAreRefusedForAClusterNamingWhereToSetThem() {
    Cli cli =
        Cli.run(
            Map.of(),
            "--runner",
            "flink",
            "--flink-master",
            "127.0.0.1:1",
            "--model-uri",
            "s3://bkt/m/",
            "--local-dir",
            dir.toString(),
            "--endpoint",
            "http://127.0.0.1:9",
            "--download-extra-config",
            "{\"ak\": \"AK\", \"sk\": \"" + SECRET + "\"}");

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: --download-extra-config 'ak'/'sk' cannot reach the TaskManagers of a Flink cluster;"
            + " remove them and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the TaskManagers' environment\n",
        cli.err());
    assertFalse(cli.toString().contains(SECRET));
  }

  @Test
  void runnerFlagsAreCheckedBeforeAnythingRuns() {
    assertEquals(
        "model-prefetch: --runner 'spark' is not direct or flink\n",
        Cli.run(Map.of(), "--runner", "spark", "--model-uri", "s3://bkt/m/").err());
    assertEquals(
        "model-prefetch: --flink-master '127.0.0.1:8081' needs --runner flink\n",
        Cli.run(Map.of(), "--flink-master", "127.0.0.1:8081", "--model-uri", "s3://bkt/m/").err());
    assertEquals(
        "model-prefetch: --flink-master 'http://jm/' is not [local], [auto] or host:port;"
            + " give the JobManager's REST address, e.g. 127.0.0.1:8081\n",
        Cli.run(
                Map.of(),
                "--runner",
                "flink",
                "--flink-master",
                "http://jm/",
                "--model-uri",
                "s3://bkt/m/")
            .err());
    assertEquals(
        "model-prefetch: --parallelism 0 is out of range; give 1..4096\n",
        Cli.run(Map.of(), "--runner", "flink", "--parallelism", "0", "--model-uri", "s3://bkt/m/")
            .err());
    assertEquals(
        2,
        Cli.run(
                Map.of(),
                "--runner",
                "flink",
                "--flink-master",
                "127.0.0.1:1",
                "--flinkMaster=127.0.0.1:2",
                "--model-uri",
                "s3://bkt/m/")
            .status());
    assertTrue(
        RunnerChoice.of("flink", null, "10.0.0.5:8081", null).remoteWorkers(),
        "--flinkMaster= counts too");
  }

  @Test
  void metricsDecideTheExitStatusWhenTheReportIsNotReadable() {
    Job job = new JobResolver(Map.of()).resolve(flags("s3://bkt/m/", null));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int ok =
        PrefetchRun.summarizeMetrics(
            runCounting(3, 2, 0, 0).metrics(),
            job.models(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(PrefetchRun.OK, ok);
    assertEquals(dir.resolve("m") + "\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(
        "model-prefetch: 1 model(s), from the job's metrics: 3 verified, 2 already present, 0 failed,"
            + " 0 model(s) failed\n",
        err.toString(StandardCharsets.UTF_8));

    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals(
        PrefetchRun.FAILED,
        PrefetchRun.summarizeMetrics(runCounting(3, 0, 1, 0).metrics(), job.models(), sink, sink));
    assertEquals(
        PrefetchRun.FAILED,
        PrefetchRun.summarizeMetrics(runCounting(0, 0, 0, 1).metrics(), job.models(), sink, sink));
    assertEquals(
        PrefetchRun.FAILED,
        PrefetchRun.summarizeMetrics(runCounting(0, 0, 0, 0).metrics(), job.models(), sink, sink),
        "no counter at all is not a success");
  }

  @Test
  void aReportOlderThanTheLaunchIsNotThisRunsReport() throws IOException {
    Path report = dir.resolve("r.json");
    long launched = Instant.parse("2026-01-01T10:00:00.500Z").toEpochMilli();

    assertNull(PrefetchRun.readReport(report, launched), "missing");
    Files.writeString(report, "{\"startedAt\": \"2026-01-01T10:00:00.499Z\", \"totals\": {}}");
    assertNull(PrefetchRun.readReport(report, launched), "left over from an earlier run");
    Files.writeString(report, "{\"startedAt\": \"2026-01-01T10:00:00.500Z\", \"totals\": {}}");
    assertEquals(
        "2026-01-01T10:00:00.500Z",
        PrefetchRun.readReport(report, launched).path("startedAt").asText());
    Files.writeString(report, "{\"startedAt\": \"2026-01-01T10:00:0");
    assertNull(PrefetchRun.readReport(report, launched), "truncated");
  }

  /** A DirectRunner pipeline that bumps the prefetch counters as a run would. */
  static PipelineResult runCounting(int verified, int present, int failed, int modelsFailed) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(1)).apply(ParDo.of(new CountFn(verified, present, failed, modelsFailed)));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  static final class CountFn extends DoFn<Integer, Void> {
    private final int verified;
    private final int present;
    private final int failed;
    private final int modelsFailed;

    CountFn(int verified, int present, int failed, int modelsFailed) {
      this.verified = verified;
      this.present = present;
      this.failed = failed;
      this.modelsFailed = modelsFailed;
    }

    @ProcessElement
    public void process() {
      inc(PrefetchMetrics.OBJECTS_VERIFIED, verified);
      inc(PrefetchMetrics.OBJECTS_PRESENT, present);
      inc(PrefetchMetrics.OBJECTS_FAILED, failed);
      inc(PrefetchMetrics.MODELS_FAILED, modelsFailed);
    }

    private static void inc(String name, int n) {
      if (n > 0) {
        PrefetchMetrics.counter(name).inc(n);
      }
    }
  }

  static String serialized(Object value) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value instanceof List<?> list ? new java.util.ArrayList<>(list) : value);
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }
}
