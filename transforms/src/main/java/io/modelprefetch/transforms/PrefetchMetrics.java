package io.modelprefetch.transforms;

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

  private PrefetchMetrics() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }
}
