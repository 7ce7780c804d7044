package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StallWatchdogTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final StallWatchdog watchdog = new StallWatchdog(Duration.ofSeconds(30), now::get);
  private final AtomicInteger aborts = new AtomicInteger();

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
    watchdog.check();
  }

  @Test
  void aTrickleOfOneBytePerTwentySecondsIsAbortedAfterItsWindow() {
    StallWatchdog.Watch watch = watchdog.watch(aborts::incrementAndGet);
    for (int i = 0; i < 3; i++) {
      advance(Duration.ofSeconds(20));
      watch.bytes(1);
    }

    assertTrue(watch.stalled());
    assertEquals(1, aborts.get(), "aborted once, at the end of its first window (30 s)");
    assertEquals(0, watchdog.watching());
  }

  @Test
  void aSlowButSteadyBodyIsNeverAborted() {
    StallWatchdog.Watch watch = watchdog.watch(aborts::incrementAndGet);
    for (int second = 0; second < 600; second++) {
      watch.bytes(4 * 1024); // 4 KiB/s: 120 KiB a window
      advance(Duration.ofSeconds(1));
    }

    assertFalse(watch.stalled());
    assertEquals(0, aborts.get());
  }

  @Test
  void aBodyThatSlowsDownLaterIsCaughtInTheWindowItSlows() {
    StallWatchdog.Watch watch = watchdog.watch(aborts::incrementAndGet);
    watch.bytes(10 << 20);
    advance(Duration.ofSeconds(30)); // a full first window
    assertFalse(watch.stalled());
    watch.bytes(StallWatchdog.MIN_BYTES_PER_WINDOW - 1);
    advance(Duration.ofSeconds(29));
    assertFalse(watch.stalled(), "the second window is not over");
    advance(Duration.ofSeconds(1));

    assertTrue(watch.stalled());
    assertEquals(1, aborts.get());
  }

  @Test
  void aClosedWatchIsForgotten() {
    StallWatchdog.Watch watch = watchdog.watch(aborts::incrementAndGet);
    watch.close();
    advance(Duration.ofMinutes(5));

    assertFalse(watch.stalled());
    assertEquals(0, aborts.get());
  }

  @Test
  void aWindowBelowOneMillisecondIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new StallWatchdog(Duration.ofNanos(10), now::get));
    assertEquals("window must be >= 1 ms, was PT0.00000001S", e.getMessage());
  }
}
