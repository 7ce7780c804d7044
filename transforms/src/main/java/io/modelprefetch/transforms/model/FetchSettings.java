package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.verify.Verification;
import java.io.Serializable;
import java.time.Duration;

/**
 * How objects are fetched. Start from {@link #defaults()} and change what differs with the {@code
 * withX} methods, each of which checks its value and names it in the message.
 *
 * @param partThresholdBytes objects larger than this are split into ranges. Default: 64 MiB.
 * @param partSizeBytes the range size, at least 1 MiB. Default: 64 MiB.
 * @param maxInFlightRanges ranged GETs in flight at once per JVM: {@link #ADAPTIVE} (0) lets a
 *     controller find the number the link rewards, up to {@link #ADAPTIVE_CEILING}; 1..1024 holds
 *     it at that number (backing off only when the store throttles). Default: adaptive.
 * @param maxAttempts attempts per range, for retryable failures. Default: 4.
 * @param forceDownload fetch even files that are already present with the same ETag.
 * @param verification what a fetched file is checked against. Default: {@link Verification#FULL}.
 * @param spreadBuckets how many keys the work is spread over between steps: 0 for one per element
 *     (the most parallel, for a cluster); a few for a single JVM, whose runner then hands each step
 *     its work in a few large bundles. Default: 0.
 * @param directIo write large ranges to local files with {@code O_DIRECT}, past the page cache,
 *     where the file system allows it. Copying into the page cache is what a large download spends
 *     most of its CPU on once the model no longer fits the dirty-page limit, and it pushes the
 *     node's working set out of memory; the price is a cold page cache for the files written.
 *     Default: true.
 * @param stallTimeoutMillis a response body that delivers less than 64 KiB in this many
 *     milliseconds is abandoned and its range retried (see {@code StallWatchdog}). Default: 30 s.
 * @param requireDigest an object the store keeps no digest of fails instead of being committed
 *     checked by its size alone. Default: false.
 * @param structureCheck check each verified file's structure before its final name ({@code
 *     ModelStructure}: a safetensors header, a shard index against the listing, a JSON
 *     configuration), failing a malformed one. Default: true.
 */
public record FetchSettings(
    long partThresholdBytes,
    long partSizeBytes,
    int maxInFlightRanges,
    int maxAttempts,
    boolean forceDownload,
    Verification verification,
    int spreadBuckets,
    boolean directIo,
    long stallTimeoutMillis,
    boolean requireDigest,
    boolean structureCheck)
    implements Serializable {

  public static final long DEFAULT_PART_SIZE_BYTES = 64L << 20;

  /** {@link #maxInFlightRanges} for concurrency that adapts to the link. */
  public static final int ADAPTIVE = 0;

  /**
   * The most ranges an adaptive run keeps in flight per JVM. Each costs about 2 MiB while it runs
   * (its read buffer, the direct I/O staging buffer and the JDK's socket buffer); 64 connections
   * fill 1.6 GB/s at S3's 25 MB/s per connection across a WAN, and 6 GB/s at 100 MB/s.
   */
  public static final int ADAPTIVE_CEILING = 64;

  public static final int DEFAULT_MAX_ATTEMPTS = 4;
  public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

  public FetchSettings {
    if (partThresholdBytes < 0) {
      throw new IllegalArgumentException(
          "partThresholdBytes must be >= 0, was " + partThresholdBytes);
    }
    checkPartSize(partSizeBytes);
    if (maxInFlightRanges < 0 || maxInFlightRanges > 1024) {
      throw new IllegalArgumentException(
          "maxInFlightRanges must be 0 (adaptive) or in 1..1024, was " + maxInFlightRanges);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    if (verification == null) {
      throw new IllegalArgumentException("verification must be given");
    }
    if (spreadBuckets < 0) {
      throw new IllegalArgumentException("spreadBuckets must be >= 0, was " + spreadBuckets);
    }
    if (stallTimeoutMillis < 1) {
      throw new IllegalArgumentException(
          "stallTimeoutMillis must be >= 1, was " + stallTimeoutMillis);
    }
  }

  /** The smallest part size accepted; smaller parts spend more on requests than they gain. */
  public static final long MIN_PART_SIZE_BYTES = 1L << 20;

  /** Validates a part size, naming the limit. */
  public static long checkPartSize(long partSizeBytes) {
    if (partSizeBytes < MIN_PART_SIZE_BYTES) {
      throw new IllegalArgumentException(
          "partSizeBytes must be >= " + MIN_PART_SIZE_BYTES + " (1 MiB), was " + partSizeBytes);
    }
    return partSizeBytes;
  }

  public static FetchSettings defaults() {
    return new FetchSettings(
        DEFAULT_PART_SIZE_BYTES,
        DEFAULT_PART_SIZE_BYTES,
        ADAPTIVE,
        DEFAULT_MAX_ATTEMPTS,
        false,
        Verification.FULL,
        0,
        true,
        DEFAULT_STALL_TIMEOUT.toMillis(),
        false,
        true);
  }

  /** Whether digests are computed and checked, beyond the size (and a manifest's sha256). */
  public boolean digests() {
    return verification != Verification.SIZE;
  }

  /** Whether a controller chooses the ranges in flight ({@link #ADAPTIVE}). */
  public boolean adaptiveConcurrency() {
    return maxInFlightRanges == ADAPTIVE;
  }

  /** The most ranges in flight at once: the number given, or the adaptive ceiling. */
  public int inFlightCeiling() {
    return adaptiveConcurrency() ? ADAPTIVE_CEILING : maxInFlightRanges;
  }

  public Duration stallTimeout() {
    return Duration.ofMillis(stallTimeoutMillis);
  }

  public FetchSettings withPartThresholdBytes(long bytes) {
    return new FetchSettings(
        bytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withPartSizeBytes(long bytes) {
    return new FetchSettings(
        partThresholdBytes,
        bytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withMaxInFlightRanges(int ranges) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        ranges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withMaxAttempts(int attempts) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        attempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withForceDownload(boolean force) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        force,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withVerification(Verification level) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        level,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  /** These settings with the work spread over {@code buckets} keys between steps. */
  public FetchSettings withSpreadBuckets(int buckets) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        buckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withDirectIo(boolean direct) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        direct,
        stallTimeoutMillis,
        requireDigest,
        structureCheck);
  }

  public FetchSettings withRequireDigest(boolean require) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        require,
        structureCheck);
  }

  /** These settings with the structural check of each file on or off. */
  public FetchSettings withStructureCheck(boolean check) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        stallTimeoutMillis,
        requireDigest,
        check);
  }

  public FetchSettings withStallTimeout(Duration timeout) {
    return new FetchSettings(
        partThresholdBytes,
        partSizeBytes,
        maxInFlightRanges,
        maxAttempts,
        forceDownload,
        verification,
        spreadBuckets,
        directIo,
        timeout.toMillis(),
        requireDigest,
        structureCheck);
  }
}
