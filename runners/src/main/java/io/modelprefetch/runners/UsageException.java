package io.modelprefetch.runners;

/** Bad input or configuration, found before any data is written: exit status 2, one line. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
