package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.s3.ClientRecipe;
import io.modelprefetch.transforms.s3.ObjectUri;
import java.io.Serializable;

/** One listed object and where it lands. The ETag is as the store sent it, quotes included. */
public record ObjectRef(
    ModelKey model,
    ObjectUri.Scheme scheme,
    String bucket,
    String key,
    String relativePath,
    long sizeBytes,
    String etag,
    ClientRecipe client)
    implements Serializable {

  public String uri() {
    return scheme.prefix() + bucket + "/" + key;
  }

  /** A key unique to this object's destination, used to gather its ranges. */
  public String destinationKey() {
    return model.modelDir() + "/" + relativePath;
  }
}
