package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.RangeDigests;
import java.io.Serializable;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one range: written in place and durable, or failed with {@code error}.
 *
 * @param bytesFetched bytes transferred for this range in this run (0 when read back from a killed
 *     run's temporary file)
 * @param plan what the range computed: its task's plan, or for an object fetched in one range, that
 *     plan with what the GET's answer told of the object
 * @param digests what the range computed as its bytes passed
 * @param retriesByCause the requests retried for this range, by cause; a cause never seen is absent
 * @param fetchMillis from the range's first request to its bytes on disk (or its failure), retries
 *     and backoff included; 0 when read back
 * @param objectChanged the server refused the range because the object's ETag changed (412)
 */
public record FetchedRange(
    RangeTask task,
    long bytesFetched,
    DigestPlan plan,
    RangeDigests.Result digests,
    Map<RetryCause, Integer> retriesByCause,
    long fetchMillis,
    @Nullable String error,
    boolean objectChanged)
    implements Serializable {

  public FetchedRange {
    plan = plan == null ? task.plan() : plan;
    digests = digests == null ? RangeDigests.Result.NONE : digests;
    retriesByCause = retriesByCause == null ? Map.of() : Map.copyOf(retriesByCause);
  }

  public static FetchedRange failed(
      RangeTask task,
      long bytesFetched,
      Map<RetryCause, Integer> retriesByCause,
      long fetchMillis,
      String error,
      boolean changed) {
    return new FetchedRange(
        task,
        bytesFetched,
        task.plan(),
        RangeDigests.Result.NONE,
        retriesByCause,
        fetchMillis,
        error,
        changed);
  }

  /** The same outcome with the whole object's digests, completed by this range. */
  public FetchedRange withWholeDigests(Map<String, String> hex) {
    return new FetchedRange(
        task,
        bytesFetched,
        plan,
        digests.withWholeHex(hex),
        retriesByCause,
        fetchMillis,
        error,
        objectChanged);
  }

  /** The requests retried for this range, whatever their cause. */
  public int retries() {
    return retriesByCause.values().stream().mapToInt(Integer::intValue).sum();
  }

  public boolean ok() {
    return error == null;
  }
}
