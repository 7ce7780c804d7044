package io.modelprefetch.transforms.s3;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Listing through the SDK's client: {@link Lister#sdk}. */
final class SdkLister implements Lister {

  private final S3Client s3;

  SdkLister(S3Client s3) {
    this.s3 = s3;
  }

  @Override
  public @Nullable Listed head(String bucket, String key) {
    HeadObjectResponse head;
    try {
      head = s3.headObject(b -> b.bucket(bucket).key(key));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw e;
    }
    return new Listed(key, head.contentLength(), head.eTag());
  }

  @Override
  public Page page(String bucket, String prefix, @Nullable String continuationToken) {
    ListObjectsV2Request.Builder request =
        ListObjectsV2Request.builder().bucket(bucket).prefix(prefix);
    ListObjectsV2Response response =
        s3.listObjectsV2(
            continuationToken == null
                ? request.build()
                : request.continuationToken(continuationToken).build());
    List<Listed> objects = new ArrayList<>(response.contents().size());
    for (S3Object object : response.contents()) {
      objects.add(new Listed(object.key(), object.size(), object.eTag()));
    }
    return new Page(
        objects, response.nextContinuationToken(), Boolean.TRUE.equals(response.isTruncated()));
  }
}
