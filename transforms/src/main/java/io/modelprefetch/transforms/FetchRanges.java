package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.ClientRecipe;
import io.modelprefetch.transforms.s3.S3Clients;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fetches each range with a ranged GET and writes it in place into the object's temporary file.
 *
 * <p>Ranges run on a per-JVM pool of {@code maxInFlightRanges} threads, so a worker keeps that
 * many GETs in flight however the runner sizes its bundles. A range that fails after its retries is
 * emitted with its error; the commit step turns it into a failed file.
 */
public final class FetchRanges extends PTransform<PCollection<RangeTask>, PCollection<FetchedRange>> {

  private final FetchSettings settings;

  private FetchRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static FetchRanges with(FetchSettings settings) {
    return new FetchRanges(settings);
  }

  @Override
  public PCollection<FetchedRange> expand(PCollection<RangeTask> ranges) {
    return ranges.apply("Ranged GET", ParDo.of(new FetchFn(settings)))
        .setCoder(SerializableCoder.of(FetchedRange.class));
  }

  static final class FetchFn extends DoFn<RangeTask, FetchedRange> {
    private final FetchSettings settings;
    private transient Map<ClientRecipe, S3Client> clients;
    private transient List<Future<FetchedRange>> pending;

    FetchFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = new HashMap<>();
    }

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element RangeTask task) {
      S3Client s3 = clients.computeIfAbsent(task.object().client(), S3Clients::acquireForFetch);
      RangeFetcher fetcher = new RangeFetcher(s3, settings);
      pending.add(RangeFetcher.poolFor(task, settings.maxInFlightRanges()).submit(() -> fetcher.fetch(task)));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws InterruptedException, ExecutionException {
      for (Future<FetchedRange> future : pending) {
        FetchedRange range = future.get();
        PrefetchMetrics.countRange(range);
        context.output(range, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
      pending = null;
    }

    @Teardown
    public void teardown() {
      if (clients != null) {
        clients.keySet().forEach(S3Clients::releaseForFetch);
        clients = null;
      }
    }
  }
}
