package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.s3.ClientRecipe;
import io.modelprefetch.transforms.s3.ObjectUri;
import java.io.Serializable;

/**
 * One listed object and where it lands. The ETag is as the store sent it, quotes included.
 *
 * @param expectedSha256 the SHA-256 the manifest expects for this file, or null
 */
public record ObjectRef(
    ModelKey model,
    ObjectUri.Scheme scheme,
    String bucket,
    String key,
    String relativePath,
    long sizeBytes,
    String etag,
    String expectedSha256,
    ClientRecipe client)
    implements Serializable {

  /** The same destination, for another version of the object. */
  public ObjectRef withVersion(long newSizeBytes, String newEtag) {
    return new ObjectRef(model, scheme, bucket, key, relativePath, newSizeBytes, newEtag, expectedSha256, client);
  }

  public String uri() {
    return scheme.prefix() + bucket + "/" + key;
  }

  /** A key unique to this object's destination, used to gather its ranges. */
  public String destinationKey() {
    return model.modelDir() + "/" + relativePath;
  }
}
