package io.modelprefetch.transforms.model;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * The identity of a model in results: its name, URI and destination folder (a local path, or a
 * Hadoop URI such as {@code s3a://bucket/models/llama}).
 *
 * @param destination the client recipe of an {@code s3a://} destination, else null
 */
public record ModelKey(String name, String uri, String modelDir, @Nullable ClientRecipe destination)
    implements Serializable {

  public ModelKey(String name, String uri, String modelDir) {
    this(name, uri, modelDir, null);
  }

  public static ModelKey of(ModelSource source) {
    return new ModelKey(source.name(), source.uri(), source.modelDir(), source.destination());
  }
}
