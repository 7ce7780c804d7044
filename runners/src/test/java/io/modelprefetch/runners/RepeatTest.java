package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** {@code run --every}, on a simulated clock: when runs start, what each says, when it ends. */
class RepeatTest {

  static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

  /** A clock that moves only when a run takes time or the loop sleeps. */
  static final class SimulatedClock implements Repeat.Clock {
    Instant now = T0;
    final List<Instant> wokeAt = new ArrayList<>();

    @Override
    public Instant now() {
      return now;
    }

    @Override
    public void sleepUntil(Instant when) {
      now = when;
      wokeAt.add(when);
    }
  }

  /** Runs that each take their time on the clock and then return or throw what they are given. */
  static final class Runs implements Callable<Integer> {
    final SimulatedClock clock;
    final Deque<Object[]> script = new ArrayDeque<>();
    final List<Instant> startedAt = new ArrayList<>();

    Runs(SimulatedClock clock) {
      this.clock = clock;
    }

    Runs then(Duration takes, Object outcome) {
      script.add(new Object[] {takes, outcome});
      return this;
    }

    @Override
    public Integer call() throws Exception {
      startedAt.add(clock.now);
      Object[] next = script.remove();
      clock.now = clock.now.plus((Duration) next[0]);
      if (next[1] instanceof Exception e) {
        throw e;
      }
      return (Integer) next[1];
    }
  }

  final SimulatedClock clock = new SimulatedClock();
  final Runs runs = new Runs(clock);
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  int every(Duration period, String given, long maxRuns) throws InterruptedException {
    return Repeat.every(
        period, given, maxRuns, runs, clock, new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  List<String> lines() {
    return err.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void runsStartAtWholePeriodsFromTheFirstAndTheLastStatusIsTheExitStatus() throws Exception {
    runs.then(Duration.ofMinutes(3), 0)
        .then(Duration.ofSeconds(20), 0)
        .then(Duration.ofMinutes(1), 1);

    assertEquals(1, every(Duration.ofMinutes(15), "15m", 3));

    assertEquals(
        List.of(T0, T0.plus(Duration.ofMinutes(15)), T0.plus(Duration.ofMinutes(30))),
        runs.startedAt);
    assertEquals(
        List.of(
            "model-prefetch: run 1 ended with status 0 after 180.0 s; the next starts at"
                + " 2026-12-04 10:15:00 UTC (--every 15m)",
            "model-prefetch: run 2 ended with status 0 after 20.0 s; the next starts at"
                + " 2026-12-04 10:30:00 UTC (--every 15m)",
            "model-prefetch: run 3 ended with status 1 after 60.0 s"),
        lines());
  }

  @Test
  void aRunLongerThanAPeriodSkipsTheStartsItMissedInsteadOfRunningBackToBack() throws Exception {
    runs.then(Duration.ofMinutes(25), 0).then(Duration.ofMinutes(1), 0);

    assertEquals(0, every(Duration.ofMinutes(10), "10m", 2));

    assertEquals(List.of(T0, T0.plus(Duration.ofMinutes(30))), runs.startedAt);
    assertEquals(List.of(T0.plus(Duration.ofMinutes(30))), clock.wokeAt);
  }

  @Test
  void aFailedRunOrAnErrorIsReportedOnOneLineAndTheNextRunsAtItsTime() throws Exception {
    runs.then(Duration.ofSeconds(5), PrefetchRun.LOCKED)
        .then(
            Duration.ofSeconds(2),
            new IOException("listing s3://models/llama/: connection refused\nat ..."))
        .then(Duration.ofSeconds(4), new IllegalStateException("pool closed"))
        .then(Duration.ofSeconds(1), 0);

    assertEquals(0, every(Duration.ofMinutes(1), "1m", 4));

    assertEquals(4, runs.startedAt.size());
    assertEquals(T0.plus(Duration.ofMinutes(3)), runs.startedAt.get(3));
    List<String> lines = lines();
    assertEquals(4, lines.size(), lines.toString());
    assertEquals(
        "model-prefetch: run 1 ended with status 3 after 5.0 s; the next starts at"
            + " 2026-12-04 10:01:00 UTC (--every 1m)",
        lines.get(0));
    assertEquals(
        "model-prefetch: run 2 failed: listing s3://models/llama/: connection refused\\nat ... after"
            + " 2.0 s; the next starts at 2026-12-04 10:02:00 UTC (--every 1m)",
        lines.get(1));
    assertEquals(
        "model-prefetch: run 3 failed: java.lang.IllegalStateException: pool closed after 4.0 s;"
            + " the next starts at 2026-12-04 10:03:00 UTC (--every 1m)",
        lines.get(2));
  }

  @Test
  void badInputEndsTheLoopAtOnce() throws Exception {
    runs.then(Duration.ofSeconds(30), 0).then(Duration.ofSeconds(1), PrefetchRun.USAGE);

    assertEquals(PrefetchRun.USAGE, every(Duration.ofHours(1), "1h", 0));

    assertEquals(2, runs.startedAt.size());
    assertEquals(List.of(T0.plus(Duration.ofHours(1))), clock.wokeAt);
    assertEquals("model-prefetch: run 2 ended with status 2 after 1.0 s", lines().get(1));
  }

  @Test
  void aUsageErrorThrownByARunEndsTheLoopWithIt() {
    runs.then(Duration.ofSeconds(1), 0)
        .then(
            Duration.ofSeconds(1), new UsageException("manifest /config/models.yaml: line 3: ..."));

    UsageException e =
        assertThrows(UsageException.class, () -> every(Duration.ofMinutes(5), "5m", 0));

    assertEquals("manifest /config/models.yaml: line 3: ...", e.getMessage());
    assertEquals(2, runs.startedAt.size());
  }

  /**
   * The real clock's sleep between runs hands the finished run's memory back: a direct buffer no
   * run holds any more is freed before the next run, not at the next collection that run causes.
   */
  @Test
  void theSystemClocksSleepFreesWhatTheRunLeftBehind() throws Exception {
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(pool -> pool.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    long before = direct.getMemoryUsed();
    ByteBuffer leftBehind = ByteBuffer.allocateDirect(64 << 20);
    assertTrue(direct.getMemoryUsed() >= before + (64 << 20), "the buffer is counted");
    leftBehind = null;

    Repeat.SYSTEM.sleepUntil(Instant.now().plusMillis(20));

    // A freed buffer's memory is released by the JDK's cleaner thread just after the collection.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (direct.getMemoryUsed() >= before + (64 << 20) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertTrue(
        direct.getMemoryUsed() < before + (64 << 20),
        "direct memory after the sleep: " + direct.getMemoryUsed() + " bytes, before " + before);
  }
}
