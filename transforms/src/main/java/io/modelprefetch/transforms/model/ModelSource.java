package io.modelprefetch.transforms.model;

import java.io.Serializable;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One model to prefetch: where it is, what of it to take, and where it goes.
 *
 * @param uri the URI as the user wrote it
 * @param location the parsed URI
 * @param name the model name (the folder under the destination root)
 * @param modelDir the absolute destination folder of this model
 * @param filters which relative paths to fetch
 * @param client the client recipe for this model's store
 * @param sha256 expected SHA-256 digests by relative path, from the manifest
 * @param destination the client recipe of an {@code s3a://} destination, else null
 */
public record ModelSource(
    String uri,
    ObjectUri location,
    String name,
    String modelDir,
    Filters filters,
    ClientRecipe client,
    Map<String, String> sha256,
    @Nullable ClientRecipe destination)
    implements Serializable {

  public ModelSource {
    sha256 = sha256 == null ? Map.of() : Map.copyOf(sha256);
  }

  public ModelSource(
      String uri,
      ObjectUri location,
      String name,
      String modelDir,
      Filters filters,
      ClientRecipe client) {
    this(uri, location, name, modelDir, filters, client, Map.of(), null);
  }

  public ModelSource(
      String uri,
      ObjectUri location,
      String name,
      String modelDir,
      Filters filters,
      ClientRecipe client,
      Map<String, String> sha256) {
    this(uri, location, name, modelDir, filters, client, sha256, null);
  }
}
