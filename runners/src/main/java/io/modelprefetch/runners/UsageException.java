package io.modelprefetch.runners;

import org.jspecify.annotations.Nullable;

/** Bad input or configuration, found before any data is written: exit status 2, one line. */
public final class UsageException extends RuntimeException {
  public UsageException(@Nullable String message) {
    super(message);
  }
}
