package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.s3.ClientRecipe;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.verify.Evidence;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Gathers the ranges of each object, verifies the whole file with the strongest evidence
 * available ({@link Evidence}) and moves it to its final name.
 *
 * <p>A file whose evidence does not match is fetched again, up to {@link #MAX_VERIFY_ATTEMPTS}
 * times in all. An object that changed during the download (412 on {@code If-Match}) is restarted
 * once from its new version. A file that still fails is removed and reported with the expected and
 * actual values: nothing appears under its final name.
 */
public final class CommitFiles extends PTransform<PCollection<FetchedRange>, PCollection<FileResult>> {

  static final int MAX_VERIFY_ATTEMPTS = 3;

  private final FetchSettings settings;

  private CommitFiles(FetchSettings settings) {
    this.settings = settings;
  }

  public static CommitFiles with(FetchSettings settings) {
    return new CommitFiles(settings);
  }

  @Override
  public PCollection<FileResult> expand(PCollection<FetchedRange> ranges) {
    return ranges
        .apply("Key by file", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(FetchedRange.class)))
            .via(r -> KV.of(r.task().object().destinationKey(), r)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(FetchedRange.class)))
        .apply("Gather ranges", GroupByKey.create())
        .apply("Verify and rename", ParDo.of(new CommitFn(settings)))
        .setCoder(SerializableCoder.of(FileResult.class));
  }

  static final class CommitFn extends DoFn<KV<String, Iterable<FetchedRange>>, FileResult> {
    private final FetchSettings settings;
    private transient Map<ClientRecipe, S3Client> clients;

    CommitFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = new HashMap<>();
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<FetchedRange>> file, OutputReceiver<FileResult> out)
        throws InterruptedException {
      // A retried bundle may deliver a range twice; keep one per index, a good one if any.
      TreeMap<Integer, FetchedRange> byIndex = new TreeMap<>();
      for (FetchedRange range : file.getValue()) {
        byIndex.merge(range.task().index(), range, (a, b) -> a.ok() ? a : b);
      }
      FileResult result = new FileAttempt(settings, this::client, new ArrayList<>(byIndex.values()),
          FileAttempt.LOCAL).run();
      if (result.status() == FileResult.Status.FAILED) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
      } else {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_VERIFIED).inc();
      }
      Progress.fileDone(result.model(), result.status() == FileResult.Status.FAILED);
      out.output(result);
    }

    private S3Client client(ClientRecipe recipe) {
      return clients.computeIfAbsent(recipe, S3Clients::acquireForFetch);
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
