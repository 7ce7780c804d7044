package io.modelprefetch.transforms.structure;

import java.util.Objects;

/**
 * A structural rule a file breaks, with the line that says so. Thrown from deep in a parse and
 * turned into a {@link Structure} at the check's entry; a value, so it carries no stack trace.
 */
final class Broken extends Exception {
  private static final long serialVersionUID = 1L;

  Broken(String message) {
    super(message, null, false, false);
  }

  /** The rule and its values: never null, a Broken is made with it. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }
}
