package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FileAttempt;
import io.modelprefetch.transforms.engine.RangeFetcher;
import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Clients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Fetches each range with a ranged GET and writes it in place into the object's temporary file.
 *
 * <p>Ranges run on a per-JVM pool of {@code maxInFlightRanges} threads (more for small ranges), so a
 * worker keeps that many GETs in flight however the runner sizes its bundles. A file whose ranges
 * all came in this bundle is verified and published here as soon as its last range lands, on the
 * verify pool, while the other files are still downloading; it is emitted under {@link #FILES}.
 * The ranges of any other file (some were resumed from a killed run, or went to other workers) are
 * emitted under {@link #RANGES} for {@link CommitFiles} to gather. A range that fails after its
 * retries carries its error; verification turns it into a failed file.
 */
public final class FetchRanges extends PTransform<PCollection<RangeTask>, PCollectionTuple> {

  public static final TupleTag<FetchedRange> RANGES = new TupleTag<>("fetched") {};
  public static final TupleTag<FileResult> FILES = new TupleTag<>("files") {};

  private final FetchSettings settings;

  private FetchRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static FetchRanges with(FetchSettings settings) {
    return new FetchRanges(settings);
  }

  @Override
  public PCollectionTuple expand(PCollection<RangeTask> ranges) {
    PCollectionTuple fetched = ranges.apply("Ranged GET", ParDo.of(new FetchFn(settings))
        .withOutputTags(RANGES, TupleTagList.of(FILES)));
    fetched.get(RANGES).setCoder(Coders.FETCHED);
    fetched.get(FILES).setCoder(Coders.RESULT);
    return fetched;
  }

  /** One file's ranges seen in this bundle, by index, and its verification once they are all in. */
  private static final class InBundle {
    final TreeMap<Integer, CompletableFuture<FetchedRange>> ranges = new TreeMap<>();
    CompletableFuture<FileAttempt.Outcome> verified;
  }

  static final class FetchFn extends DoFn<RangeTask, FetchedRange> {
    private final FetchSettings settings;
    private transient S3Clients.Lease clients;
    private transient FetchRuntime runtime;
    private transient Map<String, InBundle> files;

    FetchFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = S3Clients.Lease.forFetch();
      runtime = FetchRuntime.acquire(settings);
    }

    @StartBundle
    public void startBundle() {
      files = new LinkedHashMap<>();
    }

    @ProcessElement
    public void process(@Element RangeTask task) {
      InBundle file = files.computeIfAbsent(task.object().destinationKey(), k -> new InBundle());
      if (file.ranges.containsKey(task.index())) {
        return; // delivered twice: one fetch is enough
      }
      RangeFetcher fetcher = new RangeFetcher(clients.get(task.object().client()), runtime);
      file.ranges.put(task.index(), fetcher.submit(task));
      if (file.ranges.size() == task.count()) {
        List<CompletableFuture<FetchedRange>> all = List.copyOf(file.ranges.values()); // in index order
        CompletableFuture<List<FetchedRange>> landed = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
            .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
        file.verified = FileAttempt.verifyAsync(runtime, clients::get, landed);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws InterruptedException, ExecutionException {
      for (InBundle file : files.values()) {
        for (CompletableFuture<FetchedRange> future : file.ranges.values()) {
          FetchedRange range = future.get();
          PrefetchMetrics.countRange(range);
          if (file.verified == null) {
            context.output(RANGES, range, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
          }
        }
        if (file.verified != null) {
          context.output(FILES, PrefetchMetrics.counted(file.verified.get()), GlobalWindow.INSTANCE.maxTimestamp(),
              GlobalWindow.INSTANCE);
        }
      }
      files = null;
    }

    @Teardown
    public void teardown() {
      if (clients != null) {
        clients.releaseAll();
        clients = null;
      }
      if (runtime != null) {
        runtime.release();
        runtime = null;
      }
    }
  }
}
