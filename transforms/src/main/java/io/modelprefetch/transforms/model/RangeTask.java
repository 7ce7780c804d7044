package io.modelprefetch.transforms.model;

import java.io.Serializable;

/** Range {@code index} of {@code count} of an object: bytes {@code first..lastInclusive}. */
public record RangeTask(ObjectRef object, int index, int count, long first, long lastInclusive)
    implements Serializable {

  public long lengthBytes() {
    return lastInclusive - first + 1;
  }

  public boolean isWholeObject() {
    return count == 1;
  }
}
