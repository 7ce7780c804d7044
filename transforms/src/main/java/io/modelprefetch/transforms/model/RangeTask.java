package io.modelprefetch.transforms.model;

import io.modelprefetch.transforms.verify.DigestPlan;
import java.io.Serializable;

/**
 * Range {@code index} of {@code count} of an object: bytes {@code first..lastInclusive}.
 *
 * @param plan what the range computes as its bytes pass (the same for every range of the object);
 *     for an object fetched in one range, what the GET's answer adds is chosen when it comes
 * @param local the bytes are already in the temporary file, written and journaled by a run that was
 *     killed: the range is read back from there for its digests instead of fetched
 */
public record RangeTask(
    ObjectRef object,
    int index,
    int count,
    long first,
    long lastInclusive,
    DigestPlan plan,
    boolean local)
    implements Serializable {

  public RangeTask {
    if (plan == null) {
      throw new IllegalArgumentException("plan must be given (DigestPlan.SIZE_ONLY for none)");
    }
  }

  public long lengthBytes() {
    return lastInclusive - first + 1;
  }

  public boolean isWholeObject() {
    return count == 1;
  }

  /**
   * The same range, to be read back from the temporary file a killed run wrote ({@code true}), or
   * fetched.
   */
  public RangeTask withLocal(boolean fromFile) {
    return new RangeTask(object, index, count, first, lastInclusive, plan, fromFile);
  }
}
