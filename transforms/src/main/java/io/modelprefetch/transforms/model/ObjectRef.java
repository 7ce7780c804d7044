package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.structure.ModelListing;
import io.modelprefetch.transforms.structure.ModelStructure;
import io.modelprefetch.transforms.structure.Structure;
import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * One listed object and where it lands. The ETag is as the store sent it, quotes included.
 *
 * @param expectedSha256 the SHA-256 the manifest expects for this file, or null
 * @param listing what the store holds of the model (the paths the filters kept and dropped), which
 *     the structure check of a shard index reads; set by the listing step only on {@code
 *     *.index.json} objects ({@link #needsListing}) and only while that check is on, else null.
 *     Only there: it travels with every range of its object, and a model's hundreds of other
 *     objects have no use for it.
 */
public record ObjectRef(
    ModelKey model,
    ObjectUri.Scheme scheme,
    String bucket,
    String key,
    String relativePath,
    long sizeBytes,
    String etag,
    @Nullable String expectedSha256,
    ClientRecipe client,
    @Nullable ModelListing listing)
    implements Serializable {

  /** An object without the model's listing (anything but a shard index, or the check is off). */
  public ObjectRef(
      ModelKey model,
      ObjectUri.Scheme scheme,
      String bucket,
      String key,
      String relativePath,
      long sizeBytes,
      String etag,
      @Nullable String expectedSha256,
      ClientRecipe client) {
    this(model, scheme, bucket, key, relativePath, sizeBytes, etag, expectedSha256, client, null);
  }

  /** The same destination, for another version of the object. */
  public ObjectRef withVersion(long newSizeBytes, String newEtag) {
    return new ObjectRef(
        model,
        scheme,
        bucket,
        key,
        relativePath,
        newSizeBytes,
        newEtag,
        expectedSha256,
        client,
        listing);
  }

  /** The same object, landing in {@code other} (a Hadoop destination's local staging folder). */
  public ObjectRef withModel(ModelKey other) {
    return new ObjectRef(
        other, scheme, bucket, key, relativePath, sizeBytes, etag, expectedSha256, client, listing);
  }

  /** The same object, carrying {@code modelListing} for its structure check. */
  public ObjectRef withListing(ModelListing modelListing) {
    return new ObjectRef(
        model,
        scheme,
        bucket,
        key,
        relativePath,
        sizeBytes,
        etag,
        expectedSha256,
        client,
        modelListing);
  }

  /** Whether this object's structure check reads the model's listing: a shard index. */
  public boolean needsListing() {
    return Structure.SHARD_INDEX.equals(ModelStructure.checkFor(relativePath));
  }

  public String uri() {
    return scheme.prefix() + bucket + "/" + key;
  }

  /** A key unique to this object's destination, used to gather its ranges. */
  public String destinationKey() {
    return model.modelDir() + "/" + relativePath;
  }
}
