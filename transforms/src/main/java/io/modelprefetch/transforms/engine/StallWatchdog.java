package io.modelprefetch.transforms.engine;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Ends response bodies that stall. A socket's read timeout only fires when no byte at all comes for
 * its whole length, so a server (or a proxy in between) that trickles a byte every few seconds
 * would hold a range, and the run, forever. A body watched here that delivers fewer than {@link
 * #MIN_BYTES_PER_WINDOW} bytes in a window of {@code window} is aborted: the reading thread's next
 * read fails, and the range is retried like any other failed transfer (a timeout).
 *
 * <p>{@link #check} does the work on the caller's clock; the fetch runtime calls it every second
 * from one daemon thread, and tests call it with a clock of their own.
 */
public final class StallWatchdog {

  /** The least a body must deliver in each window: 64 KiB, far below any usable link's share. */
  public static final long MIN_BYTES_PER_WINDOW = 64 * 1024;

  /** The default window: a body that moves less than 64 KiB in 30 s is stalled. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(30);

  private final long windowNanos;
  private final LongSupplier clock;
  private final Set<Watch> watched = ConcurrentHashMap.newKeySet();

  /**
   * @param window the length of a window in which a body must deliver {@link #MIN_BYTES_PER_WINDOW}
   *     bytes; at least one millisecond
   * @param clock nanoseconds, as {@link System#nanoTime}
   */
  public StallWatchdog(Duration window, LongSupplier clock) {
    if (window.toMillis() < 1) {
      throw new IllegalArgumentException("window must be >= 1 ms, was " + window);
    }
    this.windowNanos = window.toNanos();
    this.clock = clock;
  }

  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /**
   * Starts watching one body; {@code abort} ends it (closes its connection) from the watchdog's
   * thread. Close the watch when the body is read or given up.
   */
  public Watch watch(Runnable abort) {
    Watch watch = new Watch(abort, clock.getAsLong());
    watched.add(watch);
    return watch;
  }

  /** Aborts every watched body that delivered too little in its current window. */
  public void check() {
    long now = clock.getAsLong();
    for (Watch watch : watched) {
      watch.check(now);
    }
  }

  /** The bodies watched now. */
  public int watching() {
    return watched.size();
  }

  /** One body being read. {@link #bytes} is called by the reading thread. */
  public final class Watch implements AutoCloseable {
    private final Runnable abort;
    private final AtomicLong bytes = new AtomicLong();
    private long windowStartNanos; // guarded by check's single thread
    private long bytesAtWindowStart;
    private volatile boolean stalled;

    private Watch(Runnable abort, long nowNanos) {
      this.abort = abort;
      this.windowStartNanos = nowNanos;
    }

    /** {@code n} more bytes arrived. */
    public void bytes(long n) {
      bytes.addAndGet(n);
    }

    /** Whether the watchdog aborted this body for stalling. */
    public boolean stalled() {
      return stalled;
    }

    private synchronized void check(long nowNanos) {
      if (stalled || nowNanos - windowStartNanos < windowNanos) {
        return;
      }
      long total = bytes.get();
      if (total - bytesAtWindowStart < MIN_BYTES_PER_WINDOW) {
        stalled = true;
        watched.remove(this);
        abort.run();
        return;
      }
      windowStartNanos = nowNanos;
      bytesAtWindowStart = total;
    }

    @Override
    public void close() {
      watched.remove(this);
    }
  }
}
