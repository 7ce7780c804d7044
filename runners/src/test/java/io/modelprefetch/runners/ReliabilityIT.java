package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.pipeline.PrefetchOptions;
import io.modelprefetch.pipeline.PrefetchPipeline;
import io.modelprefetch.runners.FaultProxy.Fault;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.PrefetchMetrics;
import io.modelprefetch.transforms.model.RetryCause;
import io.modelprefetch.transforms.verify.Crc64;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Nothing lost, nothing corrupt: faults injected between the tool and a real S3Proxy, objects that
 * change mid-download, reruns, a killed run resumed, and secrets kept out of everything written.
 */
class ReliabilityIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  /**
   * Multi-range plain objects (CRC-64 announced), a single-range one, a multipart upload, small
   * files.
   */
  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("model-00001-of-00002.safetensors", 6 * MIB + 3),
          DemoModel.File.single("model-00002-of-00002.safetensors", 3 * MIB),
          DemoModel.File.multipart("consolidated.safetensors", 11 * MIB + 1, 5 * MIB),
          DemoModel.File.single("empty.txt", 0));

  /**
   * The ranges each file of {@link #MODEL} is fetched in, with 1 MiB parts above 4 MiB: the CRC-64
   * announced vouches for every object, so no range is aligned to upload parts.
   */
  static final Map<String, Integer> RANGES =
      Map.of(
          "config.json",
          1,
          "model-00001-of-00002.safetensors",
          7,
          "model-00002-of-00002.safetensors",
          1,
          "consolidated.safetensors",
          12,
          "empty.txt",
          1);

  /**
   * The retry cause each range fault is counted under; a flipped byte is caught by verification
   * instead.
   */
  static final Map<Fault, RetryCause> CAUSES =
      Map.of(
          Fault.RESET,
          RetryCause.CONNECTION,
          Fault.SLOWDOWN,
          RetryCause.THROTTLED,
          Fault.TRUNCATE,
          RetryCause.TRUNCATED,
          Fault.TRICKLE,
          RetryCause.TIMEOUT,
          Fault.WRONG_RANGE,
          RetryCause.SERVER);

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static FaultProxy proxy;
  static Map<String, String> digests;

  @TempDir Path dest;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 20261128L);
    digests = seed("rel/", MODEL);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void quietProxy() {
    proxy.faults(Map.of()).maxFaultsPerPath(Integer.MAX_VALUE).beforeObjectGet(path -> {});
    proxy.resetCounters();
  }

  /** Uploads {@code files} and announces each one's CRC-64 at the proxy, as TOS does. */
  static Map<String, String> seed(String prefix, List<DemoModel.File> files) {
    for (DemoModel.File f : files) {
      proxy.announceCrc64(
          "/" + BUCKET + "/" + prefix + f.relativePath(), Crc64.of(DemoModel.content(f)));
    }
    return DemoModel.upload(server.admin(), BUCKET, prefix, files);
  }

  static Map<String, String> env() {
    return server.environment(proxy.endpoint());
  }

  Cli run(String prefix, String... extra) {
    return Cli.run(env(), args(prefix, extra));
  }

  String[] args(String prefix, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://" + BUCKET + "/" + prefix,
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "4MiB",
                "--report",
                dest.resolve("report.json").toString(),
                // A trickling body is given up after 2 s instead of 30: short for the test, long
                // beside a range here.
                "--stall-timeout",
                "2s"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /**
   * Runs the pipeline {@link #run} would run, on the DirectRunner in this JVM, and returns the
   * job's Beam metrics, which the command line does not print.
   */
  MetricResults runPipeline(String prefix) {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    RunCommand command = new RunCommand(new Main.Context(env(), quiet, quiet));
    new CommandLine(command).parseArgs(args(prefix));
    Job job = new JobResolver(env()).resolve(command.flags());
    PrefetchOptions options = PrefetchRun.pipelineOptions(job);
    options.setReportPath(job.reportPath());
    PrefetchRun.tuneDirectRunner(options, job.pipelineArgs());
    PipelineResult result =
        PrefetchPipeline.build(Pipeline.create(options), job.models(), job.notes()).run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    return result.metrics();
  }

  /** The attempted value of one distribution, merged over the steps that report it. */
  static DistributionResult distribution(MetricResults metrics, String name) {
    MetricsFilter filter =
        MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(PrefetchMetrics.NAMESPACE, name))
            .build();
    DistributionResult merged = DistributionResult.IDENTITY_ELEMENT;
    for (var result : metrics.queryMetrics(filter).getDistributions()) {
      DistributionResult d = result.getAttempted();
      merged =
          DistributionResult.create(
              merged.getSum() + d.getSum(),
              merged.getCount() + d.getCount(),
              Math.min(merged.getMin(), d.getMin()),
              Math.max(merged.getMax(), d.getMax()));
    }
    return merged;
  }

  JsonNode report() throws IOException {
    return PrefetchIT.json(dest.resolve("report.json"));
  }

  @Test
  void fullVerificationChecksTheCheapestEvidenceAndAllEveryEvidence() throws IOException {
    Cli cli = run("rel/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("m")));
    // TOS's CRC-64 (announced with every HEAD and GET answer) vouches for each object: no MD5 is
    // computed. The empty file has no GET, so only its ETag's MD5.
    assertEquals(
        Map.of(
            "config.json", "crc64ecma",
            "model-00001-of-00002.safetensors", "crc64ecma",
            "model-00002-of-00002.safetensors", "crc64ecma",
            "consolidated.safetensors", "crc64ecma",
            "empty.txt", "md5"),
        evidence("verifiedBy"));
    assertEquals("[\"size\",\"crc64ecma\"]", evidence("checks").get("consolidated.safetensors"));

    Files.delete(dest.resolve("report.json"));
    Cli all = run("rel/", "--force-download", "--verify", "all");

    assertEquals(0, all.status(), all.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("m")));
    assertEquals(
        Map.of(
            "config.json", "[\"size\",\"crc64ecma\",\"md5\"]",
            "model-00001-of-00002.safetensors", "[\"size\",\"crc64ecma\",\"md5\"]",
            "model-00002-of-00002.safetensors", "[\"size\",\"crc64ecma\",\"md5\"]",
            "consolidated.safetensors", "[\"size\",\"crc64ecma\",\"multipart-md5\"]",
            "empty.txt", "[\"size\",\"md5\"]"),
        evidence("checks"));
  }

  /** One field of every object of the report, by relative path. */
  private Map<String, String> evidence(String field) throws IOException {
    Map<String, String> values = new TreeMap<>();
    for (JsonNode o : report().path("objects")) {
      JsonNode value = o.path(field);
      values.put(
          o.path("relativePath").asText(), value.isTextual() ? value.asText() : value.toString());
    }
    return values;
  }

  @Test
  void manifestSha256IsTheStrongestEvidenceAndAMismatchNeverLands() throws IOException {
    Path manifest = dest.resolve("models.yaml");
    Files.writeString(
        manifest,
        """
        models:
          - uri: s3://models/rel/
            name: m
            include: ["config.json", "model-00002-of-00002.safetensors"]
            sha256:
              config.json: %s
              model-00002-of-00002.safetensors: %s
        """
            .formatted(digests.get("config.json"), "0".repeat(64)));

    Cli cli =
        Cli.run(
            env(),
            "--local-dir",
            dest.toString(),
            "--manifest",
            manifest.toString(),
            "--report",
            dest.resolve("report.json").toString());

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(
        Map.of("config.json", digests.get("config.json")), PrefetchIT.digests(dest.resolve("m")));
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/rel/model-00002-of-00002.safetensors: sha256: expected "
                    + "0".repeat(64)
                    + " (manifest), got "
                    + digests.get("model-00002-of-00002.safetensors")
                    + " after 3 attempts"),
        cli.toString());
    Map<String, String> verifiedBy = new TreeMap<>();
    report()
        .path("objects")
        .forEach(
            o -> verifiedBy.put(o.path("relativePath").asText(), o.path("verifiedBy").asText()));
    assertEquals("sha256", verifiedBy.get("config.json"));
    assertEquals(List.of(), PrefetchIT.leftovers(dest.resolve("m")));
    assertFalse(
        Files.exists(dest.resolve("m/.prefetch/complete.json")),
        "an incomplete model has no marker");
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void eachFaultAloneIsRecoveredCountedUnderItsCauseAndFilesAreByteIdentical(Fault fault)
      throws IOException {
    // At most two faults per object: fewer than its range retries and its verification attempts.
    proxy.faults(Map.of(fault, 0.25)).maxFaultsPerPath(2);

    MetricResults metrics = runPipeline("rel/");

    assertEquals("ok", report().path("status").asText(), report().toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("m")));
    assertTrue(proxy.injected(fault) > 0, "the proxy injected " + fault);
    long retries = 0;
    long rangesFetched = 0;
    for (JsonNode o : report().path("objects")) {
      retries += o.path("retries").asLong();
      // Only flips make whole-object refetches, each of all the object's ranges; then every retry
      // is one.
      long refetches = fault == Fault.FLIP ? o.path("retries").asLong() : 0;
      rangesFetched += RANGES.get(o.path("relativePath").asText()) * (1 + refetches);
    }
    Map<RetryCause, Long> byCause = new EnumMap<>(RetryCause.class);
    for (RetryCause cause : RetryCause.values()) {
      byCause.put(cause, PrefetchRun.counter(metrics, PrefetchMetrics.rangeRetries(cause)));
    }
    Map<RetryCause, Long> expected = new EnumMap<>(RetryCause.class);
    byCause.keySet().forEach(cause -> expected.put(cause, 0L));
    if (fault == Fault.FLIP) {
      // Caught by the whole-object evidence: one refetch covers every flip of that attempt.
      assertTrue(
          retries >= 1 && retries <= proxy.injected(fault),
          "refetches: "
              + retries
              + ", flips "
              + proxy.injected(fault)
              + ", objects "
              + report().path("objects"));
      assertEquals(retries, PrefetchRun.counter(metrics, PrefetchMetrics.OBJECTS_REFETCHED));
    } else {
      assertEquals(proxy.injected(fault), retries, "each injected fault is one range retry");
      expected.put(CAUSES.get(fault), (long) proxy.injected(fault));
      assertEquals(0, PrefetchRun.counter(metrics, PrefetchMetrics.OBJECTS_REFETCHED));
    }
    assertEquals(expected, byCause);
    assertEquals(
        byCause.values().stream().mapToLong(Long::longValue).sum(),
        PrefetchRun.counter(metrics, PrefetchMetrics.RANGE_RETRIES));
    assertEquals(rangesFetched, PrefetchRun.counter(metrics, PrefetchMetrics.RANGES_FETCHED));
    assertEquals(
        report().path("totals").path("bytesFetched").asLong(),
        PrefetchRun.counter(metrics, PrefetchMetrics.BYTES_FETCHED));
    DistributionResult millis = distribution(metrics, PrefetchMetrics.RANGE_MILLIS);
    assertEquals(rangesFetched, millis.getCount(), "one latency sample per range fetched");
    assertEquals(millis.getSum(), PrefetchRun.counter(metrics, PrefetchMetrics.RANGE_MILLIS_TOTAL));
    if (fault != Fault.FLIP) {
      assertTrue(
          millis.getMax() >= 100,
          "a retried range's latency includes its backoff of at least 100 ms: " + millis);
    }
  }

  @Test
  void allFaultsAtOnceNeverLeaveACorruptFileUnderItsFinalName() throws IOException {
    proxy.faults(
        Map.of(Fault.RESET, 0.1, Fault.SLOWDOWN, 0.1, Fault.TRUNCATE, 0.1, Fault.FLIP, 0.1));

    Cli cli = run("rel/");

    Map<String, String> landed = PrefetchIT.digests(dest.resolve("m"));
    landed.forEach(
        (path, sha) -> assertEquals(digests.get(path), sha, path + " is byte-identical"));
    if (cli.status() == 0) {
      assertEquals(digests, landed);
    } else {
      assertEquals(1, cli.status(), cli.toString());
      for (String path : digests.keySet()) {
        if (!landed.containsKey(path)) {
          assertTrue(cli.err().contains("FAILED s3://models/rel/" + path + ": "), cli.toString());
        }
      }
    }
    assertEquals(List.of(), PrefetchIT.leftovers(dest.resolve("m")));
  }

  @Test
  void objectChangedMidDownloadIsRestartedFromItsNewVersion() throws IOException {
    DemoModel.File big = DemoModel.File.single("big.bin", 5 * MIB);
    seed("change/", List.of(big));
    byte[] newer = DemoModel.content(DemoModel.File.single("newer.bin", 5 * MIB));
    AtomicInteger gets = new AtomicInteger();
    proxy.beforeObjectGet(
        path -> {
          if (path.equals("/models/change/big.bin") && gets.incrementAndGet() == 2) {
            server
                .admin()
                .putObject(
                    b -> b.bucket(BUCKET).key("change/big.bin"), RequestBody.fromBytes(newer));
            proxy.announceCrc64(path, Crc64.of(newer));
          }
        });

    Cli cli = run("change/");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(Map.of("big.bin", DemoModel.sha256(newer)), PrefetchIT.digests(dest.resolve("m")));
    String newEtag = server.admin().headObject(b -> b.bucket(BUCKET).key("change/big.bin")).eTag();
    assertEquals(newEtag, report().path("objects").get(0).path("etag").asText());
    assertEquals(newEtag, Files.readString(dest.resolve("m/.cache/s3/download/big.bin.metadata")));
  }

  @Test
  void withoutTheSpaceCheckThePipelineListsTheStoreItself() throws IOException {
    Map<String, String> seeded = seed("self/", MODEL);

    Cli cli = run("self/", "--skip-space-check");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(1, proxy.listings());
    assertEquals(seeded, PrefetchIT.digests(dest.resolve("m")));
  }

  @Test
  void rerunOfCompleteModelMakesNoGetAndAChangedObjectAloneIsFetched() throws IOException {
    seed("idem/", MODEL);
    assertEquals(0, run("idem/").status());
    // The pipeline in this JVM reports the listing the space check made: the store is listed once.
    assertEquals(1, proxy.listings());
    Path marker = dest.resolve("m/.prefetch/complete.json");
    assertTrue(Files.exists(marker));
    proxy.resetCounters();

    Cli rerun = run("idem/");
    assertEquals(0, rerun.status(), rerun.toString());
    assertEquals(0, proxy.objectGets());
    assertEquals(1, proxy.listings());

    byte[] changed = "{\"changed\": 1}\n".getBytes();
    server
        .admin()
        .putObject(b -> b.bucket(BUCKET).key("idem/config.json"), RequestBody.fromBytes(changed));
    proxy.announceCrc64("/models/idem/config.json", Crc64.of(changed));
    proxy.resetCounters();
    Cli third = run("idem/");
    assertEquals(0, third.status(), third.toString());
    assertEquals(1, proxy.listings());
    assertEquals(1, proxy.objectGets("/models/idem/config.json"));
    assertEquals(1, proxy.objectGets());
    assertEquals(changed.length, proxy.objectBodyBytes());
    JsonNode markerJson = PrefetchIT.json(marker);
    assertEquals(MODEL.size(), markerJson.path("files").size());
  }

  @Test
  void killedRunResumesAndFetchesOnlyWhatWasNotJournaled() throws Exception {
    List<DemoModel.File> files =
        List.of(
            DemoModel.File.single("shard-1.bin", 8 * MIB),
            DemoModel.File.single("shard-2.bin", 8 * MIB));
    Map<String, String> expected = seed("kill/", files);
    int passThrough = 6;
    AtomicInteger gets = new AtomicInteger();
    Semaphore gate = new Semaphore(0);
    proxy.beforeObjectGet(
        path -> {
          if (gets.incrementAndGet() > passThrough) {
            gate.acquireUninterruptibly();
          }
        });
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Daws.disableEc2Metadata=true",
                Main.class.getName(),
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://models/kill/",
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "1MiB",
                "--num-threads",
                "2"));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dest.resolve("killed.log").toFile());
    builder.environment().putAll(env());
    Process process = builder.start();
    try {
      waitFor(() -> journaled(dest.resolve("m")) >= passThrough - 2 || !process.isAlive());
      assertTrue(process.isAlive(), "the first run is still held at the proxy");
      process.destroyForcibly(); // SIGKILL
      assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    } finally {
      gate.release(10_000);
      proxy.beforeObjectGet(path -> {});
    }
    long journaledRanges = journaled(dest.resolve("m"));
    assertTrue(
        journaledRanges >= passThrough - 2, "ranges journaled before the kill: " + journaledRanges);
    proxy.resetCounters();

    Cli rerun = run("kill/");

    assertEquals(0, rerun.status(), rerun.toString());
    assertEquals(expected, PrefetchIT.digests(dest.resolve("m")));
    assertEquals(
        16 * MIB - journaledRanges * MIB,
        proxy.objectBodyBytes(),
        "only unjournaled ranges are fetched");
  }

  @Test
  void secondRunWithoutWaitExitsThreeNamingTheHolder() throws Exception {
    seed("lock3/", List.of(DemoModel.File.single("a.bin", 2 * MIB)));
    Semaphore gate = new Semaphore(0);
    proxy.beforeObjectGet(path -> gate.acquireUninterruptibly());
    Cli.Running first =
        Cli.start(
            env(),
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/lock3/",
            "--model-name",
            "m");
    try {
      waitFor(() -> proxy.objectGets() > 0);
      Cli second = run("lock3/");
      assertEquals(3, second.status(), second.toString());
      assertEquals("", second.out());
      assertTrue(
          second
              .err()
              .startsWith(
                  "model-prefetch: "
                      + dest.resolve("m")
                      + " is being written by another prefetch (pid "
                      + ProcessHandle.current().pid()
                      + " "),
          second.err());
      assertTrue(second.err().endsWith("); pass --wait to wait for it\n"), second.err());
    } finally {
      gate.release(1000);
    }
    assertEquals(0, first.join().status());
  }

  @Test
  void twoRunsOnOneDestinationBothSucceedAndFetchOneCopy() throws Exception {
    Map<String, String> expected = seed("twice/", MODEL);
    Semaphore gate = new Semaphore(0);
    proxy.beforeObjectGet(path -> gate.acquireUninterruptibly());
    String[] args = {
      "--local-dir",
      dest.toString(),
      "--model-uri",
      "s3://models/twice/",
      "--model-name",
      "m",
      "--part-size",
      "1MiB",
      "--part-threshold",
      "4MiB",
      "--wait",
      "--lock-timeout",
      "5m"
    };
    Cli.Running first = Cli.start(env(), args);
    Cli.Running second;
    try {
      waitFor(() -> proxy.objectGets() > 0);
      second = Cli.start(env(), args);
      waitFor(
          () ->
              second
                  .errSoFar()
                  .contains("model-prefetch: waiting up to PT5M for " + dest.resolve("m")));
    } finally {
      gate.release(100_000);
    }

    assertEquals(0, first.join().status());
    Cli secondResult = second.join();
    assertEquals(0, secondResult.status(), secondResult.toString());
    assertEquals(expected, PrefetchIT.digests(dest.resolve("m")));
    long oneCopy = MODEL.stream().mapToLong(f -> DemoModel.content(f).length).sum();
    assertEquals(oneCopy, proxy.objectBodyBytes(), "the second run found every file in place");
    assertEquals(
        5, PrefetchIT.json(dest.resolve("m/.prefetch/complete.json")).path("files").size());
  }

  @Test
  void missingBucketFailsWithPlainCause() {
    Cli cli =
        Cli.run(env(), "--local-dir", dest.toString(), "--model-uri", "s3://no-such-bucket/m/");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://no-such-bucket/m/: listing failed: bucket of s3://no-such-bucket/m/"
                    + " does not exist (NoSuchBucket); check the bucket name and the endpoint's region"),
        cli.err());
  }

  @Test
  void secretAppearsInNothingTheRunWrites() throws IOException {
    Cli cli = run("rel/", "--verbose");

    assertEquals(0, cli.status(), cli.toString());
    String secret = server.secretKey();
    assertFalse(cli.out().contains(secret));
    assertFalse(cli.err().contains(secret));
    try (Stream<Path> files = Files.walk(dest)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (Files.size(file) < 1 << 20) {
          assertFalse(
              Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1).contains(secret),
              file.toString());
        }
      }
    }
  }

  static long journaled(Path model) {
    if (!Files.isDirectory(model)) {
      return 0;
    }
    try (Stream<Path> all = Files.walk(model)) {
      return all.filter(
              p ->
                  p.getParent() != null
                      && p.getParent().getFileName().toString().endsWith(".journal")
                      && !p.getFileName().toString().startsWith("."))
          .count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  /** Waits for {@code condition}, checking every 20 ms, for at most two minutes. */
  static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 2 minutes");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }
}
