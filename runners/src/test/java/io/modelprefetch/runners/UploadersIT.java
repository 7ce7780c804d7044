package io.modelprefetch.runners;

import static io.modelprefetch.runners.UploadersIT.Layout.AMBIGUOUS;
import static io.modelprefetch.runners.UploadersIT.Layout.ONE_FITS;
import static io.modelprefetch.runners.UploadersIT.Layout.SINGLE_PUT;
import static io.modelprefetch.runners.UploadersIT.Tool.AWS_CLI;
import static io.modelprefetch.runners.UploadersIT.Tool.BOTO3;
import static io.modelprefetch.runners.UploadersIT.Tool.JAVA_SDK;
import static io.modelprefetch.runners.UploadersIT.Tool.RCLONE;
import static io.modelprefetch.runners.UploadersIT.Tool.S3CMD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelprefetch.pipeline.PrefetchOptions;
import io.modelprefetch.pipeline.PrefetchPipeline;
import io.modelprefetch.runners.FaultProxy.Fault;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.PrefetchMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.util.VersionInfo;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Every object that the tools people use upload is verified by a digest the store keeps, never by
 * its size alone. A real S3Proxy is seeded by the aws CLI, boto3, rclone and s3cmd (each through
 * its own command line) and by the AWS SDK for Java v2, at their defaults and common settings, with
 * sizes that leave several part sizes possible where the tool's part size allows. The objects are
 * then fetched as several ranges (a HeadObject at planning, block CRCs, aligned part digests) and
 * whole (the checksums come with the GET's answer), with {@code --verify all}, with one byte
 * flipped in each object on the way, and corrupted at rest.
 *
 * <p>Tool versions differ between machines (the aws CLI v1 with botocore 1.43 sends a CRC32 with
 * every upload; Debian's aws CLI 2.9 and boto3 1.26 send none). So the evidence each object must
 * get follows from what the store holds, read here with a HeadObject with checksum mode (not with
 * model-prefetch's code): its S3 checksum when it keeps one, else what the ETag, the uploader's
 * metadata and the part layout allow. A tool that is not installed is skipped by name.
 */
class UploadersIT {

  static final String BUCKET = "uploads";
  static final String PREFIX = "up/";
  static final long MIB = 1L << 20;

  /** The tools that upload, each found by running its version command. */
  enum Tool {
    AWS_CLI("aws CLI", "aws", "--version"),
    BOTO3(
        "boto3",
        "python3",
        "-c",
        "import boto3, botocore; print('boto3', boto3.__version__, 'botocore', botocore.__version__)"),
    RCLONE("rclone", "rclone", "version"),
    S3CMD("s3cmd", "s3cmd", "--version"),
    JAVA_SDK("AWS SDK for Java v2");

    final String label;
    final List<String> versionCommand;

    Tool(String label, String... versionCommand) {
      this.label = label;
      this.versionCommand = List.of(versionCommand);
    }
  }

  /**
   * Which of model-prefetch's common part sizes (8, 5, 16, 64, 15, 100, 10, 32, 20, 50, 25 MiB and
   * larger powers of two) make the upload's part count of its size: a fact of the size and the
   * tool's part size, worked out by hand for each row of {@link #UPLOADS}.
   */
  enum Layout {
    /** A single PUT: the ETag is the object's MD5. */
    SINGLE_PUT,
    /** Exactly one common part size fits: the part layout is certain. */
    ONE_FITS,
    /**
     * Several fit: the part layout is not known (S3Proxy answers {@code partNumber=1} with 501).
     */
    AMBIGUOUS
  }

  /**
   * Uploads {@code file} as {@code key} into {@link #BUCKET}; {@code dir} is its own folder for
   * config files.
   */
  interface Uploader {
    void upload(Path file, String key, Path dir) throws Exception;
  }

  /** One object as one tool uploads it. */
  record Upload(
      String name, long sizeBytes, Tool tool, Layout layout, String how, Uploader uploader) {
    String key() {
      return PREFIX + name;
    }

    String path() {
      return "/" + BUCKET + "/" + key();
    }
  }

  /** What the uploads are, and the part sizes that fit them (the {@link Layout}). */
  static final List<Upload> UPLOADS =
      List.of(
          new Upload(
              "awscli-cp-5m.bin",
              5 * MIB + 5,
              AWS_CLI,
              SINGLE_PUT,
              "aws s3 cp (below its 8 MiB threshold)",
              (f, k, d) ->
                  aws(
                      d,
                      "",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          // 3 parts of 8 MiB; 8 and 10 MiB fit.
          new Upload(
              "awscli-cp-24m.bin",
              24 * MIB,
              AWS_CLI,
              AMBIGUOUS,
              "aws s3 cp (8 MiB parts)",
              (f, k, d) ->
                  aws(
                      d,
                      "",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          // 3 parts of 16 MiB; 15 and 16 MiB fit.
          new Upload(
              "awscli-16m-parts-40m.bin",
              40 * MIB,
              AWS_CLI,
              AMBIGUOUS,
              "aws s3 cp, s3 multipart_chunksize = 16MB",
              (f, k, d) ->
                  aws(
                      d,
                      "s3 =\n  multipart_chunksize = 16MB\n",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          // 2 parts, of 100 MiB and 1 MiB; 64 and 100 MiB fit.
          new Upload(
              "awscli-100m-parts-101m.bin",
              101 * MIB,
              AWS_CLI,
              AMBIGUOUS,
              "aws s3 cp, s3 multipart_chunksize = 100MB",
              (f, k, d) ->
                  aws(
                      d,
                      "s3 =\n  multipart_chunksize = 100MB\n",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          // The setting for stores that refuse checksums (and what Debian's aws CLI 2.9 does
          // anyway): no CRC, so
          // the part MD5s of both layouts that fit, 64 and 100 MiB, in one range (their lcm is 1600
          // MiB).
          new Upload(
              "awscli-100m-parts-no-crc-101m.bin",
              101 * MIB,
              AWS_CLI,
              AMBIGUOUS,
              "aws s3 cp, 100MB parts, request_checksum_calculation = when_required",
              (f, k, d) ->
                  aws(
                      d,
                      "request_checksum_calculation = when_required\ns3 =\n  multipart_chunksize = 100MB\n",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          // A composite SHA-1 of an unknown layout cannot be checked: the ETag's MD5s of the
          // layouts that fit.
          new Upload(
              "awscli-sha1-24m.bin",
              24 * MIB,
              AWS_CLI,
              AMBIGUOUS,
              "aws s3 cp --checksum-algorithm SHA1",
              (f, k, d) ->
                  aws(
                      d,
                      "",
                      "s3",
                      "cp",
                      "--only-show-errors",
                      "--checksum-algorithm",
                      "SHA1",
                      f.toString(),
                      "s3://" + BUCKET + "/" + k)),
          new Upload(
              "s3api-crc32-5m.bin",
              5 * MIB + 5,
              AWS_CLI,
              SINGLE_PUT,
              "aws s3api put-object --checksum-algorithm CRC32",
              (f, k, d) -> putObject(d, f, k, "CRC32")),
          new Upload(
              "s3api-sha256-5m.bin",
              5 * MIB + 5,
              AWS_CLI,
              SINGLE_PUT,
              "aws s3api put-object --checksum-algorithm SHA256",
              (f, k, d) -> putObject(d, f, k, "SHA256")),
          new Upload(
              "s3api-sha1-5m.bin",
              5 * MIB + 5,
              AWS_CLI,
              SINGLE_PUT,
              "aws s3api put-object --checksum-algorithm SHA1",
              (f, k, d) -> putObject(d, f, k, "SHA1")),
          // 3 parts of 8 MiB (the last one byte); 8 and 10 MiB fit.
          new Upload(
              "boto3-20m.bin",
              20 * MIB + 1,
              BOTO3,
              AMBIGUOUS,
              "boto3 upload_file (8 MiB parts)",
              UploadersIT::boto3),
          new Upload(
              "rclone-5m.bin",
              5 * MIB + 5,
              RCLONE,
              SINGLE_PUT,
              "rclone copyto (below its 200 MiB cutoff)",
              (f, k, d) -> rclone(d, f, k)),
          // 2 parts of 5 MiB; 5 and 8 MiB fit.
          new Upload(
              "rclone-5m-chunks-9m.bin",
              9 * MIB,
              RCLONE,
              AMBIGUOUS,
              "rclone copyto --s3-upload-cutoff 0 (5 MiB chunks)",
              (f, k, d) -> rclone(d, f, k, "--s3-upload-cutoff", "0")),
          // 3 parts of 5 MiB; only 5 MiB fits.
          new Upload(
              "rclone-5m-chunks-11m.bin",
              11 * MIB,
              RCLONE,
              ONE_FITS,
              "rclone copyto --s3-upload-cutoff 0 (5 MiB chunks)",
              (f, k, d) -> rclone(d, f, k, "--s3-upload-cutoff", "0")),
          // 2 parts of 64 MiB; 50 and 64 MiB fit.
          new Upload(
              "rclone-64m-chunks-65m.bin",
              65 * MIB,
              RCLONE,
              AMBIGUOUS,
              "rclone copyto --s3-chunk-size 64M --s3-upload-cutoff 0",
              (f, k, d) -> rclone(d, f, k, "--s3-chunk-size", "64M", "--s3-upload-cutoff", "0")),
          new Upload(
              "s3cmd-5m.bin",
              5 * MIB + 5,
              S3CMD,
              SINGLE_PUT,
              "s3cmd put (below its 15 MiB chunk)",
              UploadersIT::s3cmd),
          // 3 parts of 15 MiB; 15 and 16 MiB fit.
          new Upload(
              "s3cmd-40m.bin",
              40 * MIB,
              S3CMD,
              AMBIGUOUS,
              "s3cmd put (15 MiB chunks)",
              UploadersIT::s3cmd),
          new Upload(
              "sdk-put-crc32c-5m.bin",
              5 * MIB + 5,
              JAVA_SDK,
              SINGLE_PUT,
              "PutObject CRC32_C, chunked encoding off",
              (f, k, d) -> sdkPut(f, k, ChecksumAlgorithm.CRC32_C)),
          new Upload(
              "sdk-put-crc64nvme-5m.bin",
              5 * MIB + 5,
              JAVA_SDK,
              SINGLE_PUT,
              "PutObject CRC64_NVME (aws-crt), chunked encoding off",
              (f, k, d) -> sdkPut(f, k, ChecksumAlgorithm.CRC64_NVME)),
          // 3 parts of 8 MiB; 8 and 10 MiB fit.
          new Upload(
              "sdk-mpu-crc32c-composite-20m.bin",
              20 * MIB + 1,
              JAVA_SDK,
              AMBIGUOUS,
              "multipart CRC32_C COMPOSITE, 8 MiB parts",
              (f, k, d) ->
                  sdkMultipart(f, k, ChecksumAlgorithm.CRC32_C, ChecksumType.COMPOSITE, 8 * MIB)),
          // 3 parts of 5 MiB; only 5 MiB fits.
          new Upload(
              "sdk-mpu-crc64nvme-full-12m.bin",
              12 * MIB + 3,
              JAVA_SDK,
              ONE_FITS,
              "multipart CRC64_NVME FULL_OBJECT, 5 MiB parts",
              (f, k, d) ->
                  sdkMultipart(
                      f, k, ChecksumAlgorithm.CRC64_NVME, ChecksumType.FULL_OBJECT, 5 * MIB)),
          // 3 parts of 10 MiB (the last one byte); 8 and 10 MiB fit. AWS refuses a composite
          // CRC-64; S3Proxy keeps it.
          new Upload(
              "sdk-mpu-crc64nvme-composite-20m.bin",
              20 * MIB + 1,
              JAVA_SDK,
              AMBIGUOUS,
              "multipart CRC64_NVME COMPOSITE, 10 MiB parts",
              (f, k, d) ->
                  sdkMultipart(
                      f, k, ChecksumAlgorithm.CRC64_NVME, ChecksumType.COMPOSITE, 10 * MIB)),
          // 3 parts of 5 MiB; only 5 MiB fits, so the composite SHA-256 can be checked.
          new Upload(
              "sdk-mpu-sha256-composite-11m.bin",
              11 * MIB,
              JAVA_SDK,
              ONE_FITS,
              "multipart SHA256 COMPOSITE, 5 MiB parts",
              (f, k, d) ->
                  sdkMultipart(f, k, ChecksumAlgorithm.SHA256, ChecksumType.COMPOSITE, 5 * MIB)));

  /** How the objects are fetched. */
  enum Mode {
    /** Several ranges: a HeadObject with checksum mode at planning, block CRCs, part digests. */
    RANGES("--part-threshold", "4MiB", "--part-size", "4MiB"),
    /** One whole-object GET each: the checksums come with its answer. */
    WHOLE("--part-threshold", "1GiB");

    final List<String> flags;

    Mode(String... flags) {
      this.flags = List.of(flags);
    }
  }

  @TempDir static Path work;
  static EmbeddedS3 server;
  static FaultProxy proxy;
  static S3Client sdk;
  static final Map<Tool, String> versions = new EnumMap<>(Tool.class);

  /**
   * The uploads whose tool is installed, with the SHA-256 of their source and what the store holds.
   */
  static final Map<Upload, String> sourceSha256 = new LinkedHashMap<>();

  static final Map<Upload, Stored> stored = new LinkedHashMap<>();

  /** verifiedBy by mode and upload name, printed at the end. */
  static final Map<String, Map<String, String>> seen = new ConcurrentHashMap<>();

  @BeforeAll
  static void seed() throws Exception {
    long started = System.nanoTime();
    server = EmbeddedS3.start(work.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 20261203L);
    sdk =
        S3Client.builder()
            .httpClientBuilder(ApacheHttpClient.builder())
            .endpointOverride(server.endpoint())
            .region(Region.of(EmbeddedS3.REGION))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(server.accessKey(), server.secretKey())))
            // S3Proxy ignores checksums sent as aws-chunked trailers (the SDK's way over http://):
            // headers keep them.
            .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
            .build();
    server.admin().createBucket(b -> b.bucket(BUCKET));
    for (Tool tool : Tool.values()) {
      String version = tool == JAVA_SDK ? VersionInfo.SDK_VERSION : probe(tool.versionCommand);
      if (version != null) {
        versions.put(tool, version);
      }
    }
    for (Upload u : UPLOADS) {
      if (!versions.containsKey(u.tool())) {
        continue;
      }
      Path dir = Files.createDirectories(work.resolve("tools").resolve(u.name()));
      Path file = work.resolve("sources").resolve(u.name());
      sourceSha256.put(u, generate(file, u.sizeBytes(), u.name().hashCode()));
      u.uploader().upload(file, u.key(), dir);
      stored.put(
          u,
          Stored.of(
              server
                  .admin()
                  .headObject(
                      b -> b.bucket(BUCKET).key(u.key()).checksumMode(ChecksumMode.ENABLED))));
      Files.delete(file);
    }
    long uploadedBytes = sourceSha256.keySet().stream().mapToLong(Upload::sizeBytes).sum();
    System.out.printf(
        "UploadersIT: tools that ran: %s; not installed: %s; %d objects, %d MiB uploaded in %d s%n",
        versions,
        Stream.of(Tool.values()).filter(t -> !versions.containsKey(t)).map(t -> t.label).toList(),
        sourceSha256.size(),
        uploadedBytes / MIB,
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
  }

  @AfterAll
  static void stop() throws Exception {
    StringBuilder table =
        new StringBuilder("UploadersIT: evidence per upload (ranges | whole | --verify all)\n");
    for (Map.Entry<Upload, Stored> e : stored.entrySet()) {
      Upload u = e.getKey();
      table.append(
          String.format(
              "  %-38s %-9s %-55s %-26s ETag %-36s | %s | %s | %s%n",
              u.name(),
              u.tool().name(),
              u.how(),
              e.getValue().describe(),
              e.getValue().etag(),
              seenIn("ranges", u),
              seenIn("whole", u),
              seenIn("all", u)));
    }
    System.out.print(table);
    if (sdk != null) {
      sdk.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String seenIn(String run, Upload u) {
    return seen.getOrDefault(run, Map.of()).getOrDefault(u.name(), "-");
  }

  @BeforeEach
  void quietProxy() {
    proxy.faults(Map.of()).maxFaultsPerPath(Integer.MAX_VALUE).beforeObjectGet(path -> {});
    proxy.resetCounters();
  }

  @TestFactory
  Stream<DynamicNode> fetchedAsSeveralRangesEachObjectIsVerifiedAndAFlippedByteRefetched()
      throws Exception {
    return verifiedThenFlipped(Mode.RANGES, "ranges");
  }

  @TestFactory
  Stream<DynamicNode> fetchedWholeEachObjectIsVerifiedAndAFlippedByteRefetched() throws Exception {
    return verifiedThenFlipped(Mode.WHOLE, "whole");
  }

  @TestFactory
  Stream<DynamicNode> verifyAllChecksEveryEvidenceTheStoreKeeps() throws Exception {
    Path dest = Files.createDirectories(work.resolve("all"));
    long started = System.nanoTime();
    Cli cli = Cli.run(env(), args(dest, Mode.RANGES, PREFIX, "--verify", "all"));
    System.out.printf(
        "UploadersIT: --verify all run %.1f s%n", (System.nanoTime() - started) / 1e9);
    Map<String, JsonNode> objects = objects(dest);
    Map<String, String> landed = landedAndDeleted(dest);
    List<DynamicNode> nodes = new ArrayList<>();
    nodes.add(
        dynamicTest(
            "exit 0 and every file byte-identical",
            () -> {
              assertEquals(0, cli.status(), cli.toString());
              assertEquals(expectedDigests(), landed);
            }));
    for (Upload u : UPLOADS) {
      nodes.add(
          dynamicTest(
              u.name(),
              () -> {
                assumeInstalled(u);
                JsonNode o = objects.get(u.name());
                remember("all", u, o);
                assertEquals(
                    expectedChecksAll(u, stored.get(u)),
                    checks(o),
                    u.how() + ", " + stored.get(u).describe() + ": " + o);
              }));
    }
    return nodes.stream();
  }

  /**
   * A clean run that asserts each object's evidence exactly, then a run where the first GET of each
   * object has one byte flipped: each object is fetched again whole, once, and its final name never
   * holds wrong bytes (it does not exist while any GET of it is answered).
   */
  private Stream<DynamicNode> verifiedThenFlipped(Mode mode, String name) throws Exception {
    Path clean = Files.createDirectories(work.resolve(name + "-clean"));
    long started = System.nanoTime();
    Cli cli = Cli.run(env(), args(clean, mode, PREFIX));
    long cleanNanos = System.nanoTime() - started;
    Map<String, JsonNode> objects = objects(clean);
    Map<String, String> cleanLanded = landedAndDeleted(clean);
    Map<Upload, Integer> cleanGets = new LinkedHashMap<>();
    sourceSha256.keySet().forEach(u -> cleanGets.put(u, proxy.objectGets(u.path())));

    proxy.resetCounters();
    proxy.faults(Map.of(Fault.FLIP, 1.0)).maxFaultsPerPath(1);
    Path flipped = Files.createDirectories(work.resolve(name + "-flipped"));
    Set<String> landedEarly = ConcurrentHashMap.newKeySet();
    proxy.beforeObjectGet(
        path -> {
          if (path.startsWith("/" + BUCKET + "/" + PREFIX)
              && Files.exists(
                  flipped
                      .resolve("m")
                      .resolve(path.substring(BUCKET.length() + PREFIX.length() + 2)))) {
            landedEarly.add(path);
          }
        });
    started = System.nanoTime();
    MetricResults metrics = runPipeline(flipped, mode);
    System.out.printf(
        "UploadersIT: %s: clean run %.1f s, run with flips %.1f s%n",
        name, cleanNanos / 1e9, (System.nanoTime() - started) / 1e9);
    Map<String, JsonNode> flips = objects(flipped);
    String flippedStatus = PrefetchIT.json(flipped.resolve("report.json")).path("status").asText();
    List<Path> leftovers = PrefetchIT.leftovers(flipped.resolve("m"));
    Map<String, String> flippedLanded = landedAndDeleted(flipped);
    Map<Upload, Integer> flipGets = new LinkedHashMap<>();
    sourceSha256.keySet().forEach(u -> flipGets.put(u, proxy.objectGets(u.path())));
    int flipsInjected = proxy.injected(Fault.FLIP);
    quietProxy();

    List<DynamicNode> verified = new ArrayList<>();
    verified.add(
        dynamicTest(
            "exit 0 and every file byte-identical",
            () -> {
              assertEquals(0, cli.status(), cli.toString());
              assertEquals(expectedDigests(), cleanLanded);
            }));
    List<DynamicNode> refetched = new ArrayList<>();
    refetched.add(
        dynamicTest(
            "every object refetched once, every file byte-identical",
            () -> {
              assertEquals("ok", flippedStatus);
              assertEquals(expectedDigests(), flippedLanded);
              assertEquals(sourceSha256.size(), flipsInjected, "one byte flipped in each object");
              assertEquals(
                  sourceSha256.size(),
                  PrefetchRun.counter(metrics, PrefetchMetrics.OBJECTS_REFETCHED));
              assertEquals(
                  0,
                  PrefetchRun.counter(metrics, PrefetchMetrics.RANGE_RETRIES),
                  "a flip is no range fault");
              assertEquals(
                  Set.of(),
                  landedEarly,
                  "objects whose final name existed while one of their GETs was answered");
              assertEquals(List.of(), leftovers);
            }));
    for (Upload u : UPLOADS) {
      verified.add(
          dynamicTest(
              u.name(),
              () -> {
                assumeInstalled(u);
                JsonNode o = objects.get(u.name());
                remember(name, u, o);
                Stored s = stored.get(u);
                String context = u.how() + ", " + s.describe() + ": " + o;
                assertEquals(expectedVerifiedBy(u, s), o.path("verifiedBy").asText(), context);
                assertEquals(expectedChecksFull(u, s), checks(o), context);
                assertFalse(o.path("verifiedBy").asText().equals("size"), context);
              }));
      refetched.add(
          dynamicTest(
              u.name(),
              () -> {
                assumeInstalled(u);
                JsonNode o = flips.get(u.name());
                String context = u.how() + ", " + stored.get(u).describe() + ": " + o;
                assertEquals("verified", o.path("status").asText(), context);
                assertEquals(1, o.path("retries").asInt(), "one whole-object refetch: " + context);
                assertEquals(
                    2 * cleanGets.get(u), flipGets.get(u), "every range fetched again: " + context);
                assertEquals(
                    expectedVerifiedBy(u, stored.get(u)), o.path("verifiedBy").asText(), context);
              }));
    }
    return Stream.of(
        dynamicContainer("verified by the stored evidence", verified),
        dynamicContainer("one byte flipped on the way: refetched, never committed", refetched));
  }

  @Test
  void objectsCorruptedAtRestFailAfterTheirAttemptsNamingTheEvidenceAndTheOthersLand()
      throws Exception {
    String prefix = "rest/";
    Map<String, String> digests = new TreeMap<>();
    for (String name : List.of("bad-crc32c.bin", "bad-md5.bin", "good.bin")) {
      Path file = work.resolve("sources").resolve(name);
      digests.put(name, generate(file, 5 * MIB + 7, name.hashCode()));
      if (name.equals("bad-md5.bin")) {
        // The SDK without a checksum (WHEN_REQUIRED): S3Proxy keeps only the ETag, the MD5.
        server
            .admin()
            .putObject(b -> b.bucket(BUCKET).key(prefix + name), RequestBody.fromFile(file));
      } else {
        sdkPut(file, prefix + name, ChecksumAlgorithm.CRC32_C);
      }
    }
    HeadObjectResponse crcHead =
        server
            .admin()
            .headObject(
                b ->
                    b.bucket(BUCKET)
                        .key(prefix + "bad-crc32c.bin")
                        .checksumMode(ChecksumMode.ENABLED));
    String etag =
        server
            .admin()
            .headObject(b -> b.bucket(BUCKET).key(prefix + "bad-md5.bin"))
            .eTag()
            .replace("\"", "");
    byte[] badCrc = flipAtRest(prefix + "bad-crc32c.bin", 3 * MIB + 1);
    byte[] badMd5 = flipAtRest(prefix + "bad-md5.bin", 17);
    CRC32C crc = new CRC32C();
    crc.update(badCrc);
    String actualCrc =
        Base64.getEncoder()
            .encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    String actualMd5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(badMd5));
    Map<String, String> errors =
        Map.of(
            "bad-crc32c.bin",
                "crc32c: expected "
                    + crcHead.checksumCRC32C()
                    + " (x-amz-checksum-crc32c), got "
                    + actualCrc
                    + " after 3 attempts",
            "bad-md5.bin",
                "md5: expected " + etag + " (ETag), got " + actualMd5 + " after 3 attempts");
    assertEquals(
        crcHead.checksumCRC32C(),
        server
            .admin()
            .headObject(
                b ->
                    b.bucket(BUCKET)
                        .key(prefix + "bad-crc32c.bin")
                        .checksumMode(ChecksumMode.ENABLED))
            .checksumCRC32C(),
        "the store kept the checksum of the bytes it was sent");
    Path dest = Files.createDirectories(work.resolve("rest"));

    Cli cli = Cli.run(env(), args(dest, Mode.RANGES, prefix));

    assertEquals(1, cli.status(), cli.toString());
    Map<String, JsonNode> objects = objects(dest);
    for (Map.Entry<String, String> e : errors.entrySet()) {
      assertTrue(
          cli.err()
              .contains(
                  "FAILED s3://" + BUCKET + "/" + prefix + e.getKey() + ": " + e.getValue() + "\n"),
          cli.toString());
      assertEquals("failed", objects.get(e.getKey()).path("status").asText());
      assertEquals(e.getValue(), objects.get(e.getKey()).path("error").asText());
    }
    assertEquals(
        Map.of("good.bin", digests.get("good.bin")),
        PrefetchIT.digests(dest.resolve("m")),
        "the good file landed and neither corrupt one exists under its final name");
    assertEquals("crc32c", objects.get("good.bin").path("verifiedBy").asText());
    assertEquals(List.of(), PrefetchIT.leftovers(dest.resolve("m")));
  }

  // ---------------------------------------------------------------------------------------------
  // The evidence each object must get, from what the store holds.

  /** What the store holds of an object, read with HeadObject and checksum mode. */
  record Stored(String etag, String checksum, String value, boolean composite, String uploaderMd5) {

    private static final Pattern S3CMD_MD5 = Pattern.compile("(?:^|/)md5:([0-9a-f]{32})(?:/|$)");

    static Stored of(HeadObjectResponse head) {
      Map<String, String> values = new LinkedHashMap<>();
      values.put("crc64nvme", head.checksumCRC64NVME());
      values.put("crc32c", head.checksumCRC32C());
      values.put("crc32", head.checksumCRC32());
      values.put("sha256", head.checksumSHA256());
      values.put("sha1", head.checksumSHA1());
      values.values().removeIf(v -> v == null);
      if (values.size() > 1) {
        throw new AssertionError("more than one S3 checksum stored: " + values);
      }
      String checksum = values.isEmpty() ? null : values.keySet().iterator().next();
      String value = checksum == null ? null : values.get(checksum);
      boolean composite =
          head.checksumType() == ChecksumType.COMPOSITE || (value != null && value.contains("-"));
      String md5 = null;
      String rclone = head.metadata().get("md5chksum");
      if (rclone != null) {
        md5 = HexFormat.of().formatHex(Base64.getDecoder().decode(rclone));
      }
      String s3cmd = head.metadata().get("s3cmd-attrs");
      Matcher m = s3cmd == null ? null : S3CMD_MD5.matcher(s3cmd);
      if (m != null && m.find()) {
        md5 = m.group(1);
      }
      return new Stored(head.eTag().replace("\"", ""), checksum, value, composite, md5);
    }

    boolean crc() {
      return checksum != null && checksum.startsWith("crc");
    }

    String describe() {
      return (checksum == null
              ? "no S3 checksum"
              : checksum + " " + value + (composite ? " COMPOSITE" : " FULL_OBJECT"))
          + (uploaderMd5 == null ? "" : ", uploader MD5");
    }
  }

  /**
   * The evidence {@code --verify full} names: the cheapest sufficient digest the store keeps. A CRC
   * (full-object, or composite for every part size that fits); else an S3 SHA (a composite one only
   * when its layout is certain); else the ETag's MD5 for a single PUT, the multipart MD5 when one
   * layout fits, the uploader's whole-object MD5 when several do, or the part MD5s of every layout
   * that fits.
   */
  static String expectedVerifiedBy(Upload u, Stored s) {
    String suffix = s.composite() ? "-composite" : "";
    if (s.crc()) {
      return s.checksum() + suffix;
    }
    if (s.checksum() != null && (!s.composite() || u.layout() == ONE_FITS)) {
      return "s3-" + s.checksum() + suffix;
    }
    return switch (u.layout()) {
      case SINGLE_PUT -> "md5";
      case ONE_FITS -> "multipart-md5";
      case AMBIGUOUS -> s.uploaderMd5() != null ? "uploader-md5" : "multipart-md5";
    };
  }

  /**
   * The checks of {@code --verify full}: the size and the evidence; an ETag's MD5 also checks the
   * uploader's MD5.
   */
  static List<String> expectedChecksFull(Upload u, Stored s) {
    String by = expectedVerifiedBy(u, s);
    return by.equals("md5") && s.uploaderMd5() != null
        ? List.of("size", "md5", "uploader-md5")
        : List.of("size", by);
  }

  /** The checks of {@code --verify all}: every evidence the store keeps, in the report's order. */
  static List<String> expectedChecksAll(Upload u, Stored s) {
    List<String> checks = new ArrayList<>(List.of("size"));
    String suffix = s.composite() ? "-composite" : "";
    if (s.crc()) {
      checks.add(s.checksum() + suffix);
    } else if (s.checksum() != null && (!s.composite() || u.layout() == ONE_FITS)) {
      checks.add("s3-" + s.checksum() + suffix);
    }
    if (u.layout() == SINGLE_PUT) {
      checks.add("md5");
    }
    if (s.uploaderMd5() != null) {
      checks.add("uploader-md5");
    }
    if (u.layout() != SINGLE_PUT) {
      checks.add("multipart-md5");
    }
    return checks;
  }

  // ---------------------------------------------------------------------------------------------
  // Running model-prefetch.

  static Map<String, String> env() {
    return server.environment(proxy.endpoint());
  }

  static String[] args(Path dest, Mode mode, String prefix, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://" + BUCKET + "/" + prefix,
                "--model-name",
                "m",
                "--report",
                dest.resolve("report.json").toString()));
    args.addAll(mode.flags);
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /**
   * Runs the pipeline the command line would run, on the DirectRunner in this JVM, and returns the
   * job's Beam metrics, which the command line does not print.
   */
  static MetricResults runPipeline(Path dest, Mode mode) {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    RunCommand command = new RunCommand(new Main.Context(env(), quiet, quiet));
    new CommandLine(command).parseArgs(args(dest, mode, PREFIX));
    Job job = new JobResolver(env()).resolve(command.flags());
    PrefetchOptions options = PrefetchRun.pipelineOptions(job);
    options.setReportPath(job.reportPath());
    PrefetchRun.tuneDirectRunner(options, job.pipelineArgs());
    PipelineResult result =
        PrefetchPipeline.build(Pipeline.create(options), job.models(), job.notes()).run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    return result.metrics();
  }

  /** The report's objects by relative path. */
  static Map<String, JsonNode> objects(Path dest) throws IOException {
    Map<String, JsonNode> objects = new TreeMap<>();
    Path report = dest.resolve("report.json");
    if (Files.exists(report)) {
      PrefetchIT.json(report)
          .path("objects")
          .forEach(o -> objects.put(o.path("relativePath").asText(), o));
    }
    return objects;
  }

  /**
   * The SHA-256 of each file that landed in the run's model folder, which is then deleted to spare
   * the disk.
   */
  static Map<String, String> landedAndDeleted(Path dest) throws IOException {
    Path model = dest.resolve("m");
    if (!Files.isDirectory(model)) {
      return Map.of(); // nothing landed: the run's own assertion says why
    }
    Map<String, String> landed = PrefetchIT.digests(model);
    try (Stream<Path> all = Files.walk(model)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    return landed;
  }

  static List<String> checks(JsonNode object) {
    List<String> checks = new ArrayList<>();
    object.path("checks").forEach(c -> checks.add(c.asText()));
    return checks;
  }

  static Map<String, String> expectedDigests() {
    Map<String, String> digests = new TreeMap<>();
    sourceSha256.forEach((u, sha) -> digests.put(u.name(), sha));
    return digests;
  }

  static void assumeInstalled(Upload u) {
    assumeTrue(
        versions.containsKey(u.tool()),
        u.tool().label + " is not installed: " + u.name() + " not uploaded");
  }

  static void remember(String run, Upload u, JsonNode o) {
    seen.computeIfAbsent(run, r -> new ConcurrentHashMap<>())
        .put(
            u.name(),
            o == null ? "missing" : o.path("verifiedBy").asText() + " " + o.path("checks"));
  }

  // ---------------------------------------------------------------------------------------------
  // The uploaders.

  /** The aws CLI with {@code config} under {@code [default]} of its own config file. */
  static void aws(Path dir, String config, String... args) throws Exception {
    Path configFile =
        privateFile(
            dir.resolve("aws-config"), "[default]\nregion = " + EmbeddedS3.REGION + "\n" + config);
    Path credentials =
        privateFile(
            dir.resolve("aws-credentials"),
            "[default]\naws_access_key_id = "
                + server.accessKey()
                + "\naws_secret_access_key = "
                + server.secretKey()
                + "\n");
    List<String> command =
        new ArrayList<>(List.of("aws", "--endpoint-url", server.endpoint().toString()));
    command.addAll(List.of(args));
    runTool(
        dir,
        Map.of(
            "AWS_CONFIG_FILE",
            configFile.toString(),
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.toString()),
        command);
  }

  static void putObject(Path dir, Path file, String key, String algorithm) throws Exception {
    aws(
        dir,
        "",
        "s3api",
        "put-object",
        "--bucket",
        BUCKET,
        "--key",
        key,
        "--body",
        file.toString(),
        "--checksum-algorithm",
        algorithm);
  }

  static void boto3(Path file, String key, Path dir) throws Exception {
    Path configFile =
        privateFile(dir.resolve("aws-config"), "[default]\nregion = " + EmbeddedS3.REGION + "\n");
    Path credentials =
        privateFile(
            dir.resolve("aws-credentials"),
            "[default]\naws_access_key_id = "
                + server.accessKey()
                + "\naws_secret_access_key = "
                + server.secretKey()
                + "\n");
    runTool(
        dir,
        Map.of(
            "AWS_CONFIG_FILE",
            configFile.toString(),
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.toString()),
        List.of(
            "python3",
            "-c",
            "import sys, boto3\n"
                + "endpoint, path, bucket, key = sys.argv[1:5]\n"
                + "boto3.client('s3', endpoint_url=endpoint).upload_file(path, bucket, key)\n",
            server.endpoint().toString(),
            file.toString(),
            BUCKET,
            key));
  }

  /** rclone with a remote {@code up:} defined in its environment. */
  static void rclone(Path dir, Path file, String key, String... flags) throws Exception {
    Path config = privateFile(dir.resolve("rclone.conf"), "");
    Map<String, String> env =
        Map.of(
            "RCLONE_CONFIG_UP_TYPE",
            "s3",
            "RCLONE_CONFIG_UP_PROVIDER",
            "Other",
            "RCLONE_CONFIG_UP_ENV_AUTH",
            "false",
            "RCLONE_CONFIG_UP_ACCESS_KEY_ID",
            server.accessKey(),
            "RCLONE_CONFIG_UP_SECRET_ACCESS_KEY",
            server.secretKey(),
            "RCLONE_CONFIG_UP_ENDPOINT",
            server.endpoint().toString(),
            "RCLONE_CONFIG_UP_REGION",
            EmbeddedS3.REGION);
    List<String> command =
        new ArrayList<>(
            List.of(
                "rclone",
                "--config",
                config.toString(),
                "copyto",
                file.toString(),
                "up:" + BUCKET + "/" + key));
    command.addAll(List.of(flags));
    runTool(dir, env, command);
  }

  static void s3cmd(Path file, String key, Path dir) throws Exception {
    String host = server.endpoint().getHost() + ":" + server.endpoint().getPort();
    Path config =
        privateFile(
            dir.resolve("s3cfg"),
            "[default]\naccess_key = "
                + server.accessKey()
                + "\nsecret_key = "
                + server.secretKey()
                + "\nhost_base = "
                + host
                + "\nhost_bucket = "
                + host
                + "\nuse_https = False\n"
                + "bucket_location = "
                + EmbeddedS3.REGION
                + "\n");
    runTool(
        dir,
        Map.of(),
        List.of(
            "s3cmd",
            "-c",
            config.toString(),
            "--no-progress",
            "put",
            file.toString(),
            "s3://" + BUCKET + "/" + key));
  }

  static void sdkPut(Path file, String key, ChecksumAlgorithm algorithm) {
    sdk.putObject(
        b -> b.bucket(BUCKET).key(key).checksumAlgorithm(algorithm), RequestBody.fromFile(file));
  }

  static void sdkMultipart(
      Path file, String key, ChecksumAlgorithm algorithm, ChecksumType type, long partBytes)
      throws IOException {
    String id =
        sdk.createMultipartUpload(
                b -> b.bucket(BUCKET).key(key).checksumAlgorithm(algorithm).checksumType(type))
            .uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    long size = Files.size(file);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int n = 1; (n - 1) * partBytes < size; n++) {
        ByteBuffer part =
            ByteBuffer.allocate((int) Math.min(partBytes, size - (n - 1) * partBytes));
        while (part.hasRemaining() && in.read(part) >= 0) {
          // fill the part
        }
        int number = n;
        UploadPartResponse r =
            sdk.uploadPart(
                b ->
                    b.bucket(BUCKET)
                        .key(key)
                        .uploadId(id)
                        .partNumber(number)
                        .checksumAlgorithm(algorithm),
                RequestBody.fromBytes(part.array()));
        parts.add(
            CompletedPart.builder()
                .partNumber(n)
                .eTag(r.eTag())
                .checksumCRC32(r.checksumCRC32())
                .checksumCRC32C(r.checksumCRC32C())
                .checksumCRC64NVME(r.checksumCRC64NVME())
                .checksumSHA256(r.checksumSHA256())
                .checksumSHA1(r.checksumSHA1())
                .build());
      }
    }
    sdk.completeMultipartUpload(
        b ->
            b.bucket(BUCKET)
                .key(key)
                .uploadId(id)
                .checksumType(type)
                .multipartUpload(m -> m.parts(parts)));
  }

  /**
   * Runs a tool's command line in {@code dir}, its output to a file there. The child's environment
   * has none of this JVM's {@code AWS_*} variables ({@code AWS_CA_BUNDLE} makes rclone refuse an
   * {@code http://} endpoint) and gets {@code env}; keys go in its environment or config files,
   * never on its command line, and never into a failure message.
   */
  static void runTool(Path dir, Map<String, String> env, List<String> command) throws Exception {
    Path output = dir.resolve("output.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("AWS_"));
    builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(
          command.get(0) + " did not finish within 5 minutes: " + shown(output));
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          String.join(" ", command.subList(0, Math.min(3, command.size())))
              + "… exited "
              + process.exitValue()
              + ":\n"
              + shown(output));
    }
  }

  private static String shown(Path output) throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8)
        .replace(server.secretKey(), "<secret>")
        .replace(server.accessKey(), "<access key>");
  }

  /** The first line of a tool's version command, or null when it does not run. */
  static String probe(List<String> command) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().keySet().removeIf(name -> name.startsWith("AWS_"));
      Process process = builder.start();
      String out =
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0 || out.isEmpty()) {
        process.destroyForcibly();
        return null;
      }
      return out.lines().findFirst().orElse(out);
    } catch (IOException e) {
      return null; // not installed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Files.

  /** Writes {@code sizeBytes} seeded bytes to {@code file}; returns their SHA-256. */
  static String generate(Path file, long sizeBytes, long seed) throws Exception {
    Files.createDirectories(file.getParent());
    SplittableRandom random = new SplittableRandom(seed);
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    ByteBuffer buffer = ByteBuffer.allocate((int) MIB);
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      for (long left = sizeBytes; left > 0; ) {
        buffer.clear();
        while (buffer.remaining() >= Long.BYTES) {
          buffer.putLong(random.nextLong());
        }
        buffer.flip().limit((int) Math.min(left, buffer.limit()));
        sha256.update(buffer.duplicate());
        left -= buffer.remaining();
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  /**
   * Changes one byte of an object in S3Proxy's store in place, so its extended attributes (ETag,
   * checksums) stay: the store then serves wrong bytes with the right checksum. Returns the
   * object's bytes as they now are.
   */
  static byte[] flipAtRest(String key, long offset) throws IOException {
    Path file = work.resolve("data").resolve(BUCKET).resolve(key);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, offset);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      channel.write(one, offset);
    }
    return Files.readAllBytes(file);
  }

  private static Path privateFile(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return Files.writeString(file, text);
  }
}
