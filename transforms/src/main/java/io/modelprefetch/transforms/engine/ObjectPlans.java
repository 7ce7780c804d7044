package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.plan.RangePlanner;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.MultipartLayout;
import io.modelprefetch.transforms.verify.StoredEvidence;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * How one object is cut into ranges and what they compute, shared by planning and by a refetch at
 * commit.
 */
public final class ObjectPlans {

  private static final Logger LOG = LoggerFactory.getLogger(ObjectPlans.class);

  private ObjectPlans() {}

  /** Whether {@code object} is fetched in several ranges. */
  public static boolean multiRange(ObjectRef object, FetchSettings settings) {
    return object.sizeBytes() > settings.partThresholdBytes();
  }

  /**
   * What {@code object}'s ranges compute. For an object fetched in several ranges, one {@code
   * HeadObject} with checksum mode asks what the store keeps (ranged answers carry none), and a
   * multipart object whose digests need its part layout asks {@code HeadObject} with {@code
   * partNumber=1} for it where the store answers that. An object fetched in one range asks nothing
   * here: its GET's answer carries the same, and its plan is chosen again then.
   */
  public static DigestPlan plan(S3Client s3, ObjectRef object, FetchSettings settings) {
    boolean manifest = object.expectedSha256() != null;
    StoredEvidence known = StoredEvidence.NONE;
    if (settings.digests() && multiRange(object, settings)) {
      known = stored(s3, object);
    }
    DigestPlan plan =
        DigestPlan.choose(
            object.sizeBytes(), object.etag(), manifest, known, settings.verification());
    if (plan.partMd5Bytes().size() > 1
        || (known.checksum() != null
            && known.checksum().composite()
            && known.checksum().algorithm().crc() == null
            && plan.shaPartBytes() == 0)) {
      long partBytes = partBytes(s3, object);
      if (partBytes > 0) {
        plan =
            DigestPlan.choose(
                object.sizeBytes(),
                object.etag(),
                manifest,
                known.withPartBytes(partBytes),
                settings.verification());
      }
    }
    return plan;
  }

  /** What the store keeps of {@code object}: one {@code HeadObject} with checksum mode. */
  private static StoredEvidence stored(S3Client s3, ObjectRef object) {
    try {
      HeadObjectResponse head =
          s3.headObject(
              b ->
                  b.bucket(object.bucket())
                      .key(object.key())
                      .ifMatch(object.etag())
                      .checksumMode(ChecksumMode.ENABLED));
      StoredEvidence known =
          StoredEvidence.fromHeaders(
              name -> head.sdkHttpResponse().firstMatchingHeader(name).orElse(null));
      if (known.problem() != null) {
        LOG.warn("{}: {}; checked by the rest of its evidence", object.uri(), known.problem());
      }
      return known;
    } catch (SdkException e) {
      // The GETs will say what is wrong (a changed object, missing keys), each with its retries.
      LOG.debug("HeadObject of {} failed: {}", object.uri(), e.toString());
      return StoredEvidence.NONE;
    }
  }

  /**
   * The part size of a multipart upload from {@code HeadObject} with {@code partNumber=1}, where
   * the store supports it (S3 does; S3Proxy answers 501); 0 when it does not say.
   */
  private static long partBytes(S3Client s3, ObjectRef object) {
    int parts = MultipartLayout.partCount(object.etag());
    if (parts == 0) {
      return 0;
    }
    try {
      HeadObjectResponse head =
          s3.headObject(
              b ->
                  b.bucket(object.bucket()).key(object.key()).partNumber(1).ifMatch(object.etag()));
      Integer count = head.partsCount();
      Long partLength = head.contentLength();
      if (count != null
          && count == parts
          && partLength != null
          && MultipartLayout.fits(object.sizeBytes(), parts, partLength)) {
        return partLength;
      }
    } catch (SdkException e) {
      // Stores such as S3Proxy refuse part-number requests; the candidates that fit are tried.
    }
    return 0;
  }

  /**
   * The ranges of {@code object}: one for an object up to the part threshold; else ranges of the
   * part size, aligned to the upload's parts when {@code plan} digests them per part.
   */
  public static List<RangeTask> tasks(ObjectRef object, FetchSettings settings, DigestPlan plan) {
    long alignment = plan.alignmentBytes();
    List<RangePlanner.Range> ranges =
        multiRange(object, settings) && alignment > 0
            ? RangePlanner.planAligned(object.sizeBytes(), alignment, settings.partSizeBytes())
            : RangePlanner.plan(
                object.sizeBytes(), settings.partThresholdBytes(), settings.partSizeBytes());
    List<RangeTask> tasks = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      RangePlanner.Range r = ranges.get(i);
      tasks.add(new RangeTask(object, i, ranges.size(), r.first(), r.lastInclusive(), plan, false));
    }
    return tasks;
  }

  /** Fetches every range of {@code tasks} on {@code runtime}'s executor and waits for them. */
  public static List<FetchedRange> fetchAll(
      S3Client s3, FetchRuntime runtime, List<RangeTask> tasks) throws InterruptedException {
    if (tasks.isEmpty()) {
      return new ArrayList<>();
    }
    ObjectRef object = tasks.get(0).object();
    RangeFetcher fetcher =
        new RangeFetcher(RangeFetcher.sourcesOf(object.client(), s3, runtime), runtime);
    runtime.inOrder().forget(object);
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
