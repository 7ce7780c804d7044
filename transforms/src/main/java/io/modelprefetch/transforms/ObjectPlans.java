package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.plan.RangePlanner;
import io.modelprefetch.transforms.verify.MultipartLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** How one object is cut into ranges, shared by planning and by a refetch at commit. */
final class ObjectPlans {

  private ObjectPlans() {}

  /**
   * The upload part size of a multipart object: from {@code HeadObject} with {@code partNumber=1}
   * where the store supports it, else from the ETag's part count and the size when exactly one
   * common part size fits; 0 when unknown or not multipart.
   */
  static long uploadPartBytes(S3Client s3, ObjectRef object) {
    int parts = MultipartLayout.partCount(object.etag());
    if (parts == 0) {
      return 0;
    }
    try {
      HeadObjectResponse head = s3.headObject(b -> b.bucket(object.bucket()).key(object.key()).partNumber(1)
          .ifMatch(object.etag()));
      Integer count = head.partsCount();
      Long partLength = head.contentLength();
      if (count != null && count == parts && partLength != null
          && MultipartLayout.fits(object.sizeBytes(), parts, partLength)) {
        return partLength;
      }
    } catch (SdkException e) {
      // Stores such as S3Proxy refuse part-number requests; fall back to the ETag's evidence.
    }
    return MultipartLayout.inferPartSize(object.sizeBytes(), parts);
  }

  /** The ranges of {@code object}: aligned to its upload parts when known. */
  static List<RangeTask> tasks(ObjectRef object, FetchSettings settings, long uploadPartBytes) {
    List<RangePlanner.Range> ranges = uploadPartBytes > 0
        ? RangePlanner.planAligned(object.sizeBytes(), uploadPartBytes, settings.partSizeBytes())
        : RangePlanner.plan(object.sizeBytes(), settings.partThresholdBytes(), settings.partSizeBytes());
    List<RangeTask> tasks = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      RangePlanner.Range r = ranges.get(i);
      tasks.add(new RangeTask(object, i, ranges.size(), r.first(), r.lastInclusive(), uploadPartBytes));
    }
    return tasks;
  }

  /** Fetches every range of {@code tasks} on {@code runtime}'s pools and waits for them. */
  static List<FetchedRange> fetchAll(S3Client s3, FetchRuntime runtime, List<RangeTask> tasks)
      throws InterruptedException {
    RangeFetcher fetcher = new RangeFetcher(s3, runtime);
    if (!tasks.isEmpty()) {
      InOrderMd5.forget(tasks.get(0).object());
    }
    List<Future<FetchedRange>> futures = new ArrayList<>();
    for (RangeTask task : tasks) {
      futures.add(fetcher.submit(task));
    }
    List<FetchedRange> out = new ArrayList<>();
    for (Future<FetchedRange> f : futures) {
      try {
        out.add(f.get());
      } catch (ExecutionException e) {
        throw new IllegalStateException("range fetch crashed", e.getCause());
      }
    }
    return out;
  }
}
