package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.CommitFiles;
import io.modelprefetch.transforms.ExpandListings;
import io.modelprefetch.transforms.FetchRanges;
import io.modelprefetch.transforms.FetchWholeFiles;
import io.modelprefetch.transforms.MarkComplete;
import io.modelprefetch.transforms.PlanRanges;
import io.modelprefetch.transforms.PrefetchMetrics;
import io.modelprefetch.transforms.WriteReport;
import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.Filters;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ModelSource;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.InProcessCredentials;
import io.modelprefetch.transforms.storage.CompletionMarker;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each transform on its own, on the DirectRunner with its immutability and encodability checks on,
 * against a real S3Proxy on 127.0.0.1: what it outputs ({@link PAssert}), what it counts, and what
 * lands on disk.
 */
class TransformsIT {

  private static final String BUCKET = "transforms";
  private static final long MIB = DemoModel.MIB;
  private static final FetchSettings SETTINGS =
      FetchSettings.defaults().withPartSizeBytes(MIB).withPartThresholdBytes(2 * MIB);

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static Map<String, String> sourceDigests;
  static Map<String, Long> sizes;
  static ClientRecipe recipe;

  @TempDir Path dest;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    sourceDigests = DemoModel.upload(server.admin(), BUCKET, "m/", PrefetchIT.MODEL);
    sizes =
        PrefetchIT.MODEL.stream()
            .collect(
                Collectors.toMap(
                    DemoModel.File::relativePath,
                    f -> (long) DemoModel.content(f, PrefetchIT.MODEL).length));
    recipe =
        new ClientRecipe(
            server.endpoint().toString(),
            EmbeddedS3.REGION,
            true,
            true,
            InProcessCredentials.register(
                "transforms-" + UUID.randomUUID(), server.accessKey(), server.secretKey(), null),
            null,
            16);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  private ModelSource model() {
    return new ModelSource(
        "s3://" + BUCKET + "/m/",
        ObjectUri.parse("s3://" + BUCKET + "/m/"),
        "m",
        dest.resolve("m").toString(),
        Filters.NONE,
        recipe);
  }

  /** A DirectRunner pipeline that checks every element stays unmutated and survives its coder. */
  private static Pipeline checkedPipeline() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setEnforceImmutability(true);
    options.setEnforceEncodability(true);
    options.setTargetParallelism(2);
    return Pipeline.create(options);
  }

  /** The objects of {@link #model()}'s listing. */
  private PCollection<ObjectRef> objects(Pipeline pipeline) {
    ExpandListings expand = ExpandListings.with(SETTINGS);
    return pipeline
        .apply(Create.of(List.of(model())).withCoder(SerializableCoder.of(ModelSource.class)))
        .apply(expand)
        .get(expand.objects());
  }

  private static long counter(PipelineResult result, String name) {
    Iterable<MetricResult<Long>> counters =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(PrefetchMetrics.NAMESPACE, name))
                    .build())
            .getCounters();
    return StreamSupport.stream(counters.spliterator(), false)
        .mapToLong(MetricResult::getAttempted)
        .sum();
  }

  private static PCollection<String> labels(PCollection<FileResult> results) {
    return results.apply(
        "Label",
        MapElements.into(TypeDescriptors.strings())
            .via((FileResult r) -> r.relativePath() + " " + r.status().label()));
  }

  private static String[] every(String status) {
    return sizes.keySet().stream().map(path -> path + " " + status).toArray(String[]::new);
  }

  @Test
  void expandListingsOutputsEveryObjectOfThePrefixAndNoResult() {
    Pipeline pipeline = checkedPipeline();
    ExpandListings expand = ExpandListings.with(SETTINGS);
    PCollectionTuple listed =
        pipeline
            .apply(Create.of(List.of(model())).withCoder(SerializableCoder.of(ModelSource.class)))
            .apply(expand);

    PAssert.that(
            listed
                .get(expand.objects())
                .apply(
                    MapElements.into(TypeDescriptors.strings())
                        .via((ObjectRef o) -> o.relativePath() + " " + o.sizeBytes())))
        .containsInAnyOrder(
            sizes.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList());
    PAssert.that(listed.get(expand.results())).empty();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    assertEquals(sizes.size(), counter(result, PrefetchMetrics.OBJECTS_LISTED));
    assertEquals(0, counter(result, PrefetchMetrics.MODELS_FAILED));
  }

  @Test
  void planRangesCoversEveryObjectWithRangesOfAtMostThePartSize() {
    Pipeline pipeline = checkedPipeline();
    PlanRanges plan = PlanRanges.with(SETTINGS);
    PCollectionTuple planned = objects(pipeline).apply(plan);

    PAssert.that(planned.get(plan.ranges())).satisfies(new CoverEveryObject());
    PAssert.that(planned.get(plan.results())).empty();
    pipeline.run().waitUntilFinish();
  }

  /**
   * The ranges of each object cover it from its first byte to its last, in order, without overlap.
   */
  private static final class CoverEveryObject
      implements org.apache.beam.sdk.transforms.SerializableFunction<Iterable<RangeTask>, Void>,
          Serializable {
    @Override
    public Void apply(Iterable<RangeTask> ranges) {
      Map<String, List<RangeTask>> byPath = new TreeMap<>();
      for (RangeTask range : ranges) {
        byPath.computeIfAbsent(range.object().relativePath(), p -> new ArrayList<>()).add(range);
      }
      assertEquals(new TreeMap<>(sizes).keySet(), byPath.keySet());
      byPath.forEach(
          (path, list) -> {
            list.sort((a, b) -> Long.compare(a.first(), b.first()));
            long next = 0;
            for (RangeTask range : list) {
              assertEquals(next, range.first(), path + ": ranges must follow each other");
              // A multipart object's ranges follow its upload parts (5 MiB here); the others the
              // part size.
              long limit =
                  path.equals("consolidated.safetensors")
                      ? 5 * MIB
                      : sizes.get(path) <= 2 * MIB ? 2 * MIB : MIB;
              assertTrue(
                  range.lengthBytes() <= limit,
                  path + ": range of " + range.lengthBytes() + " bytes");
              next = range.first() + range.lengthBytes();
            }
            assertEquals((long) sizes.get(path), next, path + ": ranges must end with the object");
          });
      return null;
    }
  }

  @Test
  void fetchAndCommitLandEveryFileByteIdenticalThenMarkAndReport() throws IOException {
    Pipeline pipeline = checkedPipeline();
    PlanRanges plan = PlanRanges.with(SETTINGS);
    FetchRanges fetch = FetchRanges.with(SETTINGS);
    PCollectionTuple fetched = objects(pipeline).apply(plan).get(plan.ranges()).apply(fetch);
    PCollection<FileResult> committed =
        fetched.get(fetch.fetched()).apply(CommitFiles.with(SETTINGS));
    PCollection<FileResult> outcomes =
        PCollectionList.of(fetched.get(fetch.committed()))
            .and(committed)
            .apply(Flatten.pCollections());
    outcomes.apply(MarkComplete.create());
    Path report = dest.resolve("report.json");
    outcomes.apply(
        WriteReport.to(
            new WriteReport.Spec(report.toString(), 0, List.of(ModelKey.of(model())), List.of())));

    PAssert.that(labels(outcomes)).containsInAnyOrder(every("verified"));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    assertTreeIsTheSource(dest.resolve("m"));
    assertTrue(
        Files.isRegularFile(
            dest.resolve("m").resolve(CompletionMarker.FOLDER).resolve(CompletionMarker.FILE)));
    JsonNode totals = new ObjectMapper().readTree(report.toFile()).get("totals");
    assertEquals(sizes.size(), totals.get("verified").asInt(), totals.toString());
    assertEquals(0, totals.get("failed").asInt(), totals.toString());
    assertEquals(sizes.size(), counter(result, PrefetchMetrics.OBJECTS_VERIFIED));
    assertEquals(
        sizes.values().stream().mapToLong(Long::longValue).sum(),
        counter(result, PrefetchMetrics.BYTES_FETCHED));
  }

  /**
   * Every DoFn gives the runtime back in {@code @Teardown}, and the last release ends its threads:
   * a Flink TaskManager, which outlives the job, keeps none of them.
   */
  @AfterEach
  void theRuntimesThreadsEndWithThePipeline() throws InterruptedException {
    // The release shuts the pools down; their threads end as soon as they see it.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    for (Thread thread : runtimeThreads()) {
      thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    assertEquals(
        List.of(),
        runtimeThreads().stream().map(Thread::getName).sorted().toList(),
        "threads of a released runtime");
  }

  private static List<Thread> runtimeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(thread -> thread.getName().startsWith("prefetch-"))
        .toList();
  }

  @Test
  void fetchWholeFilesLandsEveryFileByteIdentical() throws IOException {
    Pipeline pipeline = checkedPipeline();
    PCollection<FileResult> published = objects(pipeline).apply(FetchWholeFiles.with(SETTINGS));

    PAssert.that(labels(published)).containsInAnyOrder(every("verified"));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    assertTreeIsTheSource(dest.resolve("m"));
    assertEquals(sizes.size(), counter(result, PrefetchMetrics.OBJECTS_VERIFIED));
  }

  @Test
  void aSecondFetchFindsEveryFilePresent() {
    for (String expected : List.of("verified", "present")) {
      Pipeline pipeline = checkedPipeline();
      PlanRanges plan = PlanRanges.with(SETTINGS);
      FetchRanges fetch = FetchRanges.with(SETTINGS);
      PCollectionTuple planned = objects(pipeline).apply(plan);
      PCollectionTuple fetched = planned.get(plan.ranges()).apply(fetch);
      PCollection<FileResult> outcomes =
          PCollectionList.of(planned.get(plan.results()))
              .and(fetched.get(fetch.committed()))
              .and(fetched.get(fetch.fetched()).apply(CommitFiles.with(SETTINGS)))
              .apply(Flatten.pCollections());
      PAssert.that(labels(outcomes)).containsInAnyOrder(every(expected));
      pipeline.run().waitUntilFinish();
    }
  }

  private static void assertTreeIsTheSource(Path model) throws IOException {
    Map<String, String> landed = new HashMap<>();
    for (String path : sizes.keySet()) {
      landed.put(path, PrefetchIT.sha256(model.resolve(path)));
    }
    assertEquals(sourceDigests, landed);
  }
}
