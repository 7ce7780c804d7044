package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.retries.api.BackoffStrategy;

/**
 * The waits between a range's attempts: retry n waits between half and all of base·2^n, at most the
 * cap, with base 100 ms and cap 5 s for ordinary failures, 500 ms and 20 s for throttling (1 s, 2
 * s, 4 s, ... 20 s).
 */
class RangeFetcherTest {

  private static final int SAMPLES = 2_000;

  @Test
  void ordinaryRetriesWaitFromTwoHundredMillisDoublingToFiveSeconds() {
    long[] ceilings = {200, 400, 800, 1_600, 3_200, 5_000, 5_000};
    for (int n = 1; n <= ceilings.length; n++) {
      assertEquals(ceilings[n - 1], ceiling(100, n, 5_000));
      assertWaits(RangeFetcher.BACKOFF, n, ceilings[n - 1]);
    }
    assertWaits(RangeFetcher.BACKOFF, 63, 5_000);
    assertWaits(RangeFetcher.BACKOFF, 10_000, 5_000); // maxAttempts has no upper bound
  }

  @Test
  void throttledRetriesWaitFromTwoSecondsDoublingToTwentySeconds() {
    long[] ceilings = {2_000, 4_000, 8_000, 16_000, 20_000, 20_000, 20_000, 20_000, 20_000, 20_000};
    assertEquals(RangeFetcher.MAX_THROTTLED_RETRIES, ceilings.length);
    for (int n = 1; n <= ceilings.length; n++) {
      assertEquals(ceilings[n - 1], ceiling(1_000, n, 20_000));
      assertWaits(RangeFetcher.THROTTLED_BACKOFF, n, ceilings[n - 1]);
    }
  }

  /**
   * The ceiling of retry {@code n} as the fetcher computed it before it used the SDK's strategy.
   */
  private static long ceiling(long baseMillis, int n, long maxMillis) {
    return Math.min(maxMillis, baseMillis << Math.min(n, 20));
  }

  /**
   * Every sampled wait of retry {@code n} lies in [ceiling/2, ceiling], and the samples spread over
   * that interval (a schedule without jitter, or with another, fails).
   */
  private static void assertWaits(BackoffStrategy strategy, int n, long ceilingMillis) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < SAMPLES; i++) {
      long wait = RangeFetcher.pauseMillis(strategy, n);
      min = Math.min(min, wait);
      max = Math.max(max, wait);
    }
    String what = "retry " + n + ": waits " + min + ".." + max + " ms";
    assertTrue(min >= ceilingMillis / 2 && max <= ceilingMillis, what);
    long tenth = ceilingMillis / 10;
    assertTrue(min < ceilingMillis / 2 + tenth && max > ceilingMillis - tenth, what);
  }
}
