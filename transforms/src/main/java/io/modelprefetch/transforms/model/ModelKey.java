package io.modelprefetch.transforms.model;

import java.io.Serializable;

/** The identity of a model in results: its name, URI and destination folder. */
public record ModelKey(String name, String uri, String modelDir) implements Serializable {
  public static ModelKey of(ModelSource source) {
    return new ModelKey(source.name(), source.uri(), source.modelDir());
  }
}
