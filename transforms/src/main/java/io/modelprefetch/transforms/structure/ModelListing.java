package io.modelprefetch.transforms.structure;

import java.io.Serializable;
import java.util.Set;

/**
 * What the store holds of one model: the relative paths ({@code /}-separated, from the model's
 * root, as {@code ObjectRef.relativePath}) the filters kept, and those they dropped. A path in both
 * counts as kept.
 */
public record ModelListing(Set<String> kept, Set<String> dropped) implements Serializable {

  public ModelListing {
    kept = Set.copyOf(kept);
    dropped = Set.copyOf(dropped);
  }

  /** Whether the store holds {@code relativePath} at all, kept or dropped. */
  public boolean holds(String relativePath) {
    return kept.contains(relativePath) || dropped.contains(relativePath);
  }
}
