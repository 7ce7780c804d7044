package io.modelprefetch.transforms.model;

import java.io.Serializable;

/**
 * The outcome for one object, or for a whole model when {@code relativePath} is null (a listing
 * that failed or found nothing).
 */
public record FileResult(
    ModelKey model,
    String uri,
    String relativePath,
    long sizeBytes,
    String etag,
    String verifiedBy,
    Status status,
    long bytesFetched,
    int retries,
    String error)
    implements Serializable {

  /** What happened to an object. */
  public enum Status {
    /** Fetched, verified and committed under its final name. */
    VERIFIED,
    /** Already present with the same size and ETag; not fetched. */
    PRESENT,
    /** Not committed; {@code error} says why. */
    FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static FileResult modelFailure(ModelKey model, String error) {
    return new FileResult(model, model.uri(), null, 0, null, null, Status.FAILED, 0, 0, error);
  }

  public static FileResult objectFailure(ObjectRef object, long bytesFetched, int retries, String error) {
    return new FileResult(object.model(), object.uri(), object.relativePath(), object.sizeBytes(), object.etag(),
        null, Status.FAILED, bytesFetched, retries, error);
  }

  public boolean isModelLevel() {
    return relativePath == null;
  }
}
