package io.modelprefetch.runners;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/**
 * {@code run --every DURATION}: the same run again, in this JVM, at a fixed period, until the
 * process is stopped. A long-lived prefetch pays the JVM's start, class loading and JIT warm-up
 * once, where a process per run pays them every time (docs/BENCHMARKS.md, 2026-12-04, evening: 3.2
 * against 6.7 CPU-s for a 2 GiB model), and it picks up an edited manifest at its next run.
 *
 * <p>Runs start at the first run's start plus whole periods; a run that outlasts a period skips the
 * starts it missed instead of running back to back. A run that fails (status 1 or 3, or an
 * exception) is reported on one line and the next one runs at its time: a store that is down for a
 * while does not end a node's prefetch. Bad input (status 2, {@link UsageException}) ends the loop
 * at once, as it would end a single run: it will not fix itself.
 */
final class Repeat {

  /** Time, and waiting for it; a simulated clock in the tests. */
  interface Clock {
    Instant now();

    void sleepUntil(Instant when) throws InterruptedException;
  }

  static final Clock SYSTEM =
      new Clock() {
        @Override
        public Instant now() {
          return Instant.now();
        }

        /**
         * Collects the finished run's garbage first: with the serial collector and a heap that
         * starts small ({@code -Xms} in configs/jvm.options), a full collection hands its heap and
         * direct buffers back to the node for the sleep, instead of holding them until the next run
         * (asleep after each of eight runs of a 2 GiB model: 211 MiB RSS, then 237-242 from the
         * fourth, against 308-403 and climbing; docs/BENCHMARKS.md, 2026-12-04, night).
         */
        @Override
        public void sleepUntil(Instant when) throws InterruptedException {
          if (Instant.now().isBefore(when)) {
            System.gc();
          }
          long millis = Duration.between(Instant.now(), when).toMillis();
          if (millis > 0) {
            Thread.sleep(millis);
          }
        }
      };

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private Repeat() {}

  /**
   * Calls {@code run} every {@code period} until {@code maxRuns} runs are done (0: no end) or one
   * returns {@link PrefetchRun#USAGE}; returns the last run's status. What each run ended with, and
   * when the next starts, goes to {@code err}; {@code given} is the period as the user wrote it.
   */
  static int every(
      Duration period,
      String given,
      long maxRuns,
      Callable<Integer> run,
      Clock clock,
      PrintStream err)
      throws InterruptedException {
    Instant first = clock.now();
    for (long n = 1; ; n++) {
      Instant start = clock.now();
      int status;
      String outcome;
      try {
        status = run.call();
        outcome = "ended with status " + status;
      } catch (UsageException e) {
        throw e;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        status = PrefetchRun.FAILED;
        outcome = "failed: " + Main.failureMessage(e);
      }
      Instant end = clock.now();
      String took =
          String.format(
              java.util.Locale.ROOT, "%.1f s", Duration.between(start, end).toMillis() / 1000.0);
      if (status == PrefetchRun.USAGE || (maxRuns > 0 && n >= maxRuns)) {
        err.println("model-prefetch: run " + n + " " + outcome + " after " + took);
        return status;
      }
      long periods = Duration.between(first, end).toNanos() / period.toNanos() + 1;
      Instant next = first.plus(period.multipliedBy(periods));
      err.println(
          "model-prefetch: run "
              + n
              + " "
              + outcome
              + " after "
              + took
              + "; the next starts at "
              + TIME.format(next)
              + " (--every "
              + given
              + ")");
      clock.sleepUntil(next);
    }
  }
}
