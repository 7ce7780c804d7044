package io.modelprefetch.transforms.s3;

import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@link RangeSource}s of one recipe, chosen once for it: a range up to {@link
 * #SMALL_RANGE_BYTES} goes through {@link SmallGets}, where the recipe has them (no proxy is
 * configured) and they can address the bucket; every other range through the SDK's client. A small
 * range waits on its round trip, and the SDK's request pipeline costs several times the CPU its
 * bytes do; a large one is bound by its bytes, and the SDK's connection pool serves it as well.
 */
public final class RangeSources {

  /** Ranges up to this size are fetched through {@link SmallGets}. */
  public static final long SMALL_RANGE_BYTES = 1 << 20;

  private final @Nullable SmallGets small; // null: the SDK fetches every range
  private final RangeSource sdk;

  private RangeSources(@Nullable SmallGets small, RangeSource sdk) {
    this.small = small;
    this.sdk = sdk;
  }

  /**
   * The sources of a recipe.
   *
   * @param small the recipe's small GETs ({@link SmallGets#of}), or null when a proxy is configured
   * @param sdk the recipe's client for ranged GETs, which its owner keeps and closes
   */
  public static RangeSources of(@Nullable SmallGets small, S3Client sdk) {
    return new RangeSources(small, RangeSource.sdk(sdk));
  }

  /** The source for a range of {@code lengthBytes} of an object in {@code bucket}. */
  public RangeSource forRange(String bucket, long lengthBytes) {
    return small != null && lengthBytes <= SMALL_RANGE_BYTES && small.addresses(bucket)
        ? small
        : sdk;
  }
}
