package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.plan.RangePlanner;
import java.io.Serializable;

/**
 * How objects are fetched.
 *
 * @param partThresholdBytes objects larger than this are split into ranges. Default: 64 MiB.
 * @param partSizeBytes the range size, at least 1 MiB. Default: 64 MiB.
 * @param maxInFlightRanges ranged GETs in flight at once per JVM. Default: 4.
 * @param maxAttempts attempts per range, for retryable failures. Default: 4.
 * @param forceDownload fetch even files that are already present with the same ETag.
 */
public record FetchSettings(
    long partThresholdBytes, long partSizeBytes, int maxInFlightRanges, int maxAttempts, boolean forceDownload)
    implements Serializable {

  public static final long DEFAULT_PART_SIZE_BYTES = 64L << 20;
  public static final int DEFAULT_IN_FLIGHT_RANGES = 4;
  public static final int DEFAULT_MAX_ATTEMPTS = 4;

  public FetchSettings {
    if (partThresholdBytes < 0) {
      throw new IllegalArgumentException("partThresholdBytes must be >= 0, was " + partThresholdBytes);
    }
    RangePlanner.checkPartSize(partSizeBytes);
    if (maxInFlightRanges < 1 || maxInFlightRanges > 1024) {
      throw new IllegalArgumentException("maxInFlightRanges must be in 1..1024, was " + maxInFlightRanges);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
  }

  public static FetchSettings defaults() {
    return new FetchSettings(DEFAULT_PART_SIZE_BYTES, DEFAULT_PART_SIZE_BYTES, DEFAULT_IN_FLIGHT_RANGES,
        DEFAULT_MAX_ATTEMPTS, false);
  }
}
