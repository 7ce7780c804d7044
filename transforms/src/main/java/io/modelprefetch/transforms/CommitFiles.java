package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Evidence;
import io.modelprefetch.transforms.engine.FileAttempt;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Gathers the ranges of each object, verifies the whole file with the strongest evidence available
 * ({@link Evidence}) and moves it to its final name: the commit of every file {@link FetchRanges}
 * did not commit in its bundle, the same one ({@link FileAttempt#commitAsync}).
 *
 * <p>A file whose evidence does not match is fetched again, up to {@link
 * FileAttempt#MAX_VERIFY_ATTEMPTS} times in all. An object that changed during the download (412 on
 * {@code If-Match}) is restarted once from its new version. A file that still fails is removed and
 * reported with the expected and actual values: nothing appears under its final name.
 */
public final class CommitFiles
    extends PTransform<PCollection<FetchedRange>, PCollection<FileResult>> {

  private final FetchSettings settings;

  private CommitFiles(FetchSettings settings) {
    this.settings = settings;
  }

  public static CommitFiles with(FetchSettings settings) {
    return new CommitFiles(settings);
  }

  @Override
  public PCollection<FileResult> expand(PCollection<FetchedRange> ranges) {
    int buckets = settings.spreadBuckets();
    return ranges
        .apply(
            "Key by file",
            MapElements.into(
                    TypeDescriptors.kvs(
                        TypeDescriptors.strings(), TypeDescriptor.of(FetchedRange.class)))
                .via(r -> KV.of(key(r.task().object().destinationKey(), buckets), r)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Coders.FETCHED))
        .apply("Gather ranges", GroupByKey.create())
        .apply("Verify and rename", ParDo.of(new CommitFn(settings)))
        .setCoder(Coders.RESULT);
  }

  /** The file's own key, or with {@code buckets} its bucket: all ranges of a file share it. */
  static String key(String destinationKey, int buckets) {
    return buckets > 0
        ? "bucket-" + Math.floorMod(destinationKey.hashCode(), buckets)
        : destinationKey;
  }

  static final class CommitFn extends RuntimeFn<KV<String, Iterable<FetchedRange>>, FileResult> {
    CommitFn(FetchSettings settings) {
      super(settings, Clients.FETCH);
    }

    /** Commits the files of one key (one file, or one bucket of them) in parallel. */
    @ProcessElement
    public void process(
        @Element KV<String, Iterable<FetchedRange>> group, OutputReceiver<FileResult> out)
        throws InterruptedException, ExecutionException {
      for (FileAttempt.Outcome file :
          FileAttempt.commitGathered(runtime(), clients()::get, group.getValue())) {
        out.output(PrefetchMetrics.counted(file));
      }
    }
  }
}
