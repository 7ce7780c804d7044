package io.modelprefetch.transforms.model;

import java.io.Serializable;

/**
 * Range {@code index} of {@code count} of an object: bytes {@code first..lastInclusive}.
 *
 * @param uploadPartBytes the object's multipart upload part size when known (the range then holds
 *     whole parts and the fetch computes each part's MD5), else 0
 */
public record RangeTask(ObjectRef object, int index, int count, long first, long lastInclusive, long uploadPartBytes)
    implements Serializable {

  public long lengthBytes() {
    return lastInclusive - first + 1;
  }

  public boolean isWholeObject() {
    return count == 1;
  }
}
