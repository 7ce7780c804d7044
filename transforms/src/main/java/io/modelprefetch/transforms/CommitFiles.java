package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.ClientRecipe;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.verify.Evidence;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

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

  private static final Logger LOG = LoggerFactory.getLogger(CommitFiles.class);

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
      FileResult result = new Attempt(new ArrayList<>(byIndex.values())).run();
      if (result.status() == FileResult.Status.FAILED) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
      } else {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_VERIFIED).inc();
      }
      Progress.fileDone(result.model(), result.status() == FileResult.Status.FAILED);
      out.output(result);
    }

    @Teardown
    public void teardown() {
      if (clients != null) {
        clients.keySet().forEach(S3Clients::releaseForFetch);
        clients = null;
      }
    }

    /** Verification of one file, with its refetches. */
    private final class Attempt {
      private List<FetchedRange> ranges;
      private ObjectRef object;
      private long bytesFetched;
      private int retries;
      private boolean restarted;

      Attempt(List<FetchedRange> ranges) {
        this.ranges = ranges;
        this.object = ranges.get(0).task().object();
        count(ranges);
      }

      FileResult run() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
          if (ranges.stream().anyMatch(FetchedRange::objectChanged)) {
            String changed = restartFromNewVersion();
            if (changed != null) {
              return fail(changed);
            }
            continue;
          }
          var failed = ranges.stream().filter(r -> !r.ok()).findFirst();
          if (failed.isPresent()) {
            return fail(failed.get().error());
          }
          int expected = ranges.get(0).task().count();
          if (ranges.size() != expected) {
            return fail("only " + ranges.size() + " of " + expected + " ranges arrived");
          }
          Evidence.Verdict verdict;
          try {
            verdict = Evidence.check(object, ranges, LocalFiles.temporary(object));
          } catch (IOException e) {
            return fail("cannot read " + LocalFiles.temporary(object) + ": " + PlanRanges.describe(e));
          }
          if (verdict.ok()) {
            return commit(verdict);
          }
          if (attempt >= MAX_VERIFY_ATTEMPTS) {
            return fail(verdict.mismatch() + " after " + attempt + " attempts");
          }
          LOG.warn("{} failed verification ({}); fetching it again ({} of {})", object.uri(), verdict.mismatch(),
              attempt + 1, MAX_VERIFY_ATTEMPTS);
          PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_REFETCHED).inc();
          retries++; // a whole-object retry
          refetch(object);
        }
      }

      private FileResult commit(Evidence.Verdict verdict) {
        try {
          LocalFiles.commit(object);
        } catch (IOException e) {
          return fail("cannot commit " + LocalFiles.target(object) + ": " + PlanRanges.describe(e));
        }
        return new FileResult(object.model(), object.uri(), object.relativePath(), object.sizeBytes(),
            object.etag(), verdict.verifiedBy(), verdict.checks(), FileResult.Status.VERIFIED, bytesFetched, retries,
            null);
      }

      /** Restarts once from the object's current version; returns why it cannot, or null. */
      private String restartFromNewVersion() throws InterruptedException {
        if (restarted) {
          return "the object changed again during the download (ETag no longer " + object.etag() + ")";
        }
        restarted = true;
        HeadObjectResponse head;
        try {
          head = client().headObject(b -> b.bucket(object.bucket()).key(object.key()));
        } catch (SdkException e) {
          return S3Errors.describe(e, object.uri());
        }
        LOG.warn("{} changed during the download (ETag {} is now {}); restarting from the new version",
            object.uri(), object.etag(), head.eTag());
        LocalFiles.discard(object);
        object = object.withVersion(head.contentLength(), head.eTag());
        try {
          LocalFiles.prepare(object);
        } catch (IOException e) {
          return "cannot create " + LocalFiles.temporary(object) + ": " + PlanRanges.describe(e);
        }
        refetch(object);
        return null;
      }

      private void refetch(ObjectRef target) throws InterruptedException {
        S3Client s3 = client();
        List<RangeTask> tasks = ObjectPlans.tasks(target, settings, ObjectPlans.uploadPartBytes(s3, target));
        ranges = ObjectPlans.fetchAll(s3, settings, tasks);
        count(ranges);
      }

      private void count(List<FetchedRange> fetched) {
        for (FetchedRange r : fetched) {
          bytesFetched += r.bytesFetched();
          retries += r.retries();
        }
      }

      private S3Client client() {
        return clients.computeIfAbsent(object.client(), S3Clients::acquireForFetch);
      }

      private FileResult fail(String error) {
        LocalFiles.discard(object);
        return FileResult.objectFailure(object, bytesFetched, retries, error);
      }
    }
  }
}
