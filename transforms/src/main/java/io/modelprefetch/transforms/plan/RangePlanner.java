package io.modelprefetch.transforms.plan;

import io.modelprefetch.transforms.model.FetchSettings;
import java.util.ArrayList;
import java.util.List;

/** Splits an object into inclusive byte ranges ({@code bytes=first-last}) for parallel GETs. */
public final class RangePlanner {

  /** The smallest part size accepted; smaller parts spend more on requests than they gain. */
  public static final long MIN_PART_SIZE_BYTES = FetchSettings.MIN_PART_SIZE_BYTES;

  /** An inclusive byte range; {@code lastInclusive == first - 1} only for an empty object. */
  public record Range(long first, long lastInclusive) {
    public long length() {
      return lastInclusive - first + 1;
    }
  }

  private RangePlanner() {}

  /**
   * Plans the ranges for an object of {@code sizeBytes}.
   *
   * <p>An empty object gets one empty range (no request is needed). An object no larger than {@code
   * partThresholdBytes} is fetched whole. A larger one is cut into parts of {@code partSizeBytes},
   * the last part holding the remainder.
   */
  public static List<Range> plan(long sizeBytes, long partThresholdBytes, long partSizeBytes) {
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes must be >= 0, was " + sizeBytes);
    }
    checkPartSize(partSizeBytes);
    return split(sizeBytes, partThresholdBytes, partSizeBytes);
  }

  private static List<Range> split(long sizeBytes, long partThresholdBytes, long partSizeBytes) {
    if (sizeBytes == 0) {
      return List.of(new Range(0, -1));
    }
    if (sizeBytes <= partThresholdBytes) {
      return List.of(new Range(0, sizeBytes - 1));
    }
    long count = (sizeBytes - 1) / partSizeBytes + 1;
    if (count > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "an object of "
              + sizeBytes
              + " bytes needs more than "
              + Integer.MAX_VALUE
              + " parts of "
              + partSizeBytes
              + " bytes; raise the part size");
    }
    List<Range> ranges = new ArrayList<>((int) count);
    for (long i = 0; i < count; i++) {
      long first = i * partSizeBytes; // < sizeBytes, so no overflow
      ranges.add(new Range(first, first + Math.min(partSizeBytes, sizeBytes - first) - 1));
    }
    return ranges;
  }

  /**
   * Plans ranges that hold whole upload parts of {@code uploadPartBytes}, so each part's MD5 can be
   * computed as it streams: each range holds as many whole parts as fit in {@code partSizeBytes},
   * and at least one.
   */
  public static List<Range> planAligned(long sizeBytes, long uploadPartBytes, long partSizeBytes) {
    checkPartSize(partSizeBytes);
    if (uploadPartBytes < 1) {
      throw new IllegalArgumentException("uploadPartBytes must be >= 1, was " + uploadPartBytes);
    }
    long rangeBytes =
        Math.multiplyExact(uploadPartBytes, Math.max(1, partSizeBytes / uploadPartBytes));
    return split(sizeBytes, 0, rangeBytes);
  }

  /** Validates a part size, naming the limit. */
  public static long checkPartSize(long partSizeBytes) {
    return FetchSettings.checkPartSize(partSizeBytes);
  }
}
