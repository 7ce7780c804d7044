package io.modelprefetch.transforms.model;

/** The causes of a retried request, each named as its metric suffix. */
public enum RetryCause {
  /** A connection reset, refused or closed, or another I/O failure. */
  CONNECTION("connection"),
  /** 429, 503, {@code SlowDown}, {@code TooManyRequests}, {@code Exceed…Limit}. */
  THROTTLED("throttled"),
  /** Any other 5xx. */
  SERVER("server"),
  /** A connect, socket or request timeout, or a body that stalled (see {@code StallWatchdog}). */
  TIMEOUT("timeout"),
  /** A response body that ended before the bytes of its range. */
  TRUNCATED("truncated");

  private final String label;

  RetryCause(String label) {
    this.label = label;
  }

  /** The lower-case name in metrics and logs. */
  public String label() {
    return label;
  }
}
