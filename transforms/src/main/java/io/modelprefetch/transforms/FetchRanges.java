package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.BundleFetch;
import io.modelprefetch.transforms.engine.FileAttempt;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.RangeTask;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.jspecify.annotations.Nullable;

/**
 * Fetches each range with a ranged GET and writes it in place into the object's temporary file.
 *
 * <p>Ranges run on the JVM's fetch runtime ({@link BundleFetch}), whose controller decides how many
 * are in flight, however the runner sizes its bundles. A file whose ranges all came in this bundle
 * is committed here, in the step named so ("Ranged GET and commit files fetched in one bundle"), as
 * soon as its last range lands, on the verify pool, while the other files are still downloading: it
 * needs no shuffle, and its commit overlaps the rest of the download (on the DirectRunner a model's
 * ranges are one bundle). It is emitted under {@link #committed()}. The ranges of any other file
 * (some were resumed from a killed run, or went to other workers) are emitted under {@link
 * #fetched()} for {@link CommitFiles} to gather. Both commit a file the same way, by {@link
 * FileAttempt#commitAsync}. A range that fails after its retries carries its error; verification
 * turns it into a failed file.
 */
public final class FetchRanges extends PTransform<PCollection<RangeTask>, PCollectionTuple> {

  private final FetchSettings settings;
  private final TupleTag<FetchedRange> fetched = new TupleTag<>("FetchRanges.fetched");
  private final TupleTag<FileResult> committed = new TupleTag<>("FetchRanges.committed");

  private FetchRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static FetchRanges with(FetchSettings settings) {
    return new FetchRanges(settings);
  }

  /**
   * The fetched ranges of the files this step did not commit, for {@link CommitFiles} to gather.
   */
  public TupleTag<FetchedRange> fetched() {
    return fetched;
  }

  /** The files whose ranges all came in one bundle, verified and committed by this step. */
  public TupleTag<FileResult> committed() {
    return committed;
  }

  @Override
  public PCollectionTuple expand(PCollection<RangeTask> ranges) {
    PCollectionTuple out =
        ranges.apply(
            "Ranged GET and commit files fetched in one bundle",
            ParDo.of(new FetchFn(settings, fetched, committed))
                .withOutputTags(fetched, TupleTagList.of(committed)));
    out.get(fetched).setCoder(Coders.FETCHED);
    out.get(committed).setCoder(Coders.RESULT);
    return out;
  }

  /**
   * Hands each range to a {@link BundleFetch} and, at the end of the bundle, routes and counts what
   * came of it.
   */
  static final class FetchFn extends RuntimeFn<RangeTask, FetchedRange> {
    private final TupleTag<FetchedRange> fetched;
    private final TupleTag<FileResult> committed;
    private transient @Nullable BundleFetch bundle; // null outside a bundle

    FetchFn(
        FetchSettings settings, TupleTag<FetchedRange> fetched, TupleTag<FileResult> committed) {
      super(settings, Clients.FETCH);
      this.fetched = fetched;
      this.committed = committed;
    }

    @StartBundle
    public void startBundle() {
      bundle = new BundleFetch(runtime(), clients()::get);
    }

    @ProcessElement
    public void process(@Element RangeTask task) {
      Objects.requireNonNull(bundle, "set in @StartBundle").add(task);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context)
        throws InterruptedException, ExecutionException {
      for (BundleFetch.File file : Objects.requireNonNull(bundle, "set in @StartBundle").finish()) {
        file.ranges().forEach(PrefetchMetrics::countRange);
        if (file.committed() != null) {
          context.output(
              committed,
              PrefetchMetrics.counted(file.committed()),
              GlobalWindow.INSTANCE.maxTimestamp(),
              GlobalWindow.INSTANCE);
        } else {
          file.ranges()
              .forEach(
                  range ->
                      context.output(
                          fetched,
                          range,
                          GlobalWindow.INSTANCE.maxTimestamp(),
                          GlobalWindow.INSTANCE));
        }
      }
      bundle = null;
    }
  }
}
