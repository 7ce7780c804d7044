package io.modelprefetch.transforms.s3;

import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How the engine lists a model: a HEAD of one key, and the pages of a ListObjectsV2 the caller
 * drives one by one (the engine checks the paging itself: the SDK's paginator asks forever for a
 * token the store keeps giving back). Failures are the SDK's ({@link SdkException}).
 */
public interface Lister {

  /**
   * The object at {@code bucket/key}, or null when there is none (404).
   *
   * @throws SdkException when the request fails otherwise
   */
  @Nullable Listed head(String bucket, String key);

  /**
   * One page of the objects under {@code prefix}, from {@code continuationToken} (null for the
   * first page).
   *
   * @throws SdkException when the request fails
   */
  Page page(String bucket, String prefix, @Nullable String continuationToken);

  /**
   * One object as the store lists it.
   *
   * @param sizeBytes as the store gave it: null when it gave none
   * @param etag as the store gave it, quoted; null when it gave none
   */
  record Listed(String key, Long sizeBytes, String etag) {}

  /**
   * One page of a listing.
   *
   * @param nextContinuationToken where the next page starts; null or empty on the last page
   * @param truncated the store says more pages follow
   */
  record Page(List<Listed> objects, String nextContinuationToken, boolean truncated) {}

  /** Lists through {@code s3}, which its owner keeps and closes. */
  static Lister sdk(S3Client s3) {
    return new SdkLister(s3);
  }
}
