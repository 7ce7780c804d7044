package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.FileAttempt;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.RetryCause;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/** The Beam counters of a prefetch; the runner reads them to decide the exit status. */
public final class PrefetchMetrics {

  public static final String NAMESPACE = "model-prefetch";

  public static final String OBJECTS_LISTED = "objectsListed";
  public static final String OBJECTS_FILTERED = "objectsFiltered";
  public static final String OBJECTS_PRESENT = "objectsPresent";
  public static final String OBJECTS_VERIFIED = "objectsVerified";
  public static final String OBJECTS_FAILED = "objectsFailed";
  public static final String MODELS_FAILED = "modelsFailed";
  public static final String RANGES_FETCHED = "rangesFetched";
  public static final String BYTES_FETCHED = "bytesFetched";
  public static final String RANGE_RETRIES = "rangeRetries";
  public static final String RANGES_RESUMED = "rangesResumed";
  public static final String OBJECTS_REFETCHED = "objectsRefetched";

  /** Distribution of the milliseconds each fetched range took, retries and backoff included. */
  public static final String RANGE_MILLIS = "rangeMillis";

  /** The sum of {@link #RANGE_MILLIS}, for exporters that drop distributions. */
  public static final String RANGE_MILLIS_TOTAL = "rangeMillisTotal";

  private PrefetchMetrics() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }

  /** The counter of range retries for {@code cause}: {@code rangeRetries.<cause>}. */
  public static String rangeRetries(RetryCause cause) {
    return RANGE_RETRIES + "." + cause.label();
  }

  /**
   * Counts a file's verification: verified or failed, with the fetches it made again (the first
   * fetch was counted where it ran); returns its result. Call it on the DoFn's thread.
   */
  public static FileResult counted(FileAttempt.Outcome outcome) {
    FileResult result = outcome.result();
    counter(result.status() == FileResult.Status.FAILED ? OBJECTS_FAILED : OBJECTS_VERIFIED).inc();
    counter(OBJECTS_REFETCHED).inc(outcome.refetches());
    outcome.refetched().forEach(PrefetchMetrics::countRange);
    return result;
  }

  /**
   * Counts one range fetched (or failed) by a range fetch: bytes, retries in all and per cause, and
   * for a range that landed its latency. Call it on the DoFn's thread; the fetch pool's threads
   * have no metrics container. Every cause is counted, 0 included, so each counter exists.
   */
  public static void countRange(FetchedRange range) {
    if (range.task().local()) {
      return; // read back from a killed run's file, counted in rangesResumed when planned
    }
    if (range.ok()) {
      counter(RANGES_FETCHED).inc();
      Metrics.distribution(NAMESPACE, RANGE_MILLIS).update(range.fetchMillis());
      counter(RANGE_MILLIS_TOTAL).inc(range.fetchMillis());
    }
    counter(BYTES_FETCHED).inc(range.bytesFetched());
    counter(RANGE_RETRIES).inc(range.retries());
    for (RetryCause cause : RetryCause.values()) {
      counter(rangeRetries(cause)).inc(range.retriesByCause().getOrDefault(cause, 0));
    }
  }
}
