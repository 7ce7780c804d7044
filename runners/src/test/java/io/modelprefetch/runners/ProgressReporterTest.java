package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.engine.Progress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The progress line, read at a glance: percentage, bar, files, bytes, throughput, ETA. */
class ProgressReporterTest {

  static final long GIB = 1L << 30;
  static final long MIB = 1L << 20;
  static final long SECOND = 1_000_000_000L;

  static Progress.Snapshot model(
      String name,
      long filesDone,
      long filesTotal,
      long failed,
      long bytesDone,
      long bytesTotal,
      long bytesFetched) {
    return new Progress.Snapshot(
        name, filesDone, filesTotal, failed, bytesDone, bytesTotal, bytesFetched);
  }

  static Stream<Arguments> lines() {
    return Stream.of(
        // 9 of 21 GiB (42.9%) after 9 s at 1 GiB/s: 12 GiB to go, 12 s.
        Arguments.of(
            List.of(model("llama", 3, 7, 0, 9 * GIB, 21 * GIB, 9 * GIB)),
            9 * SECOND,
            null,
            "llama 42% [####......] 3/7 files, 9.0/21.0 GiB, 1.0 GiB/s, ETA 12s"),
        Arguments.of(
            List.of(model("llama", 3, 7, 0, 9 * GIB, 21 * GIB, 9 * GIB)),
            9 * SECOND,
            24,
            "llama 42% [####......] 3/7 files, 9.0/21.0 GiB, 1.0 GiB/s, streams 24, ETA 12s"),
        // Bytes already present count as done but not as fetched: the rate is what the network
        // gives.
        Arguments.of(
            List.of(model("m", 1, 3, 0, 2 * MIB, 3 * MIB, 0)),
            SECOND,
            null,
            "m 66% [######....] 1/3 files, 2.0/3.0 MiB, 0 B/s, ETA unknown"),
        Arguments.of(
            List.of(model("m", 0, 0, 0, 0, 0, 0)),
            SECOND,
            0,
            "m 0% [..........] 0/0 files, 0/0 B, 0 B/s, streams 0, ETA unknown"),
        Arguments.of(
            List.of(model("m", 2, 3, 0, 3 * MIB - 1, 3 * MIB, 3 * MIB - 1)),
            3 * SECOND,
            null,
            "m 99% [#########.] 2/3 files, 3.0/3.0 MiB, 1.0 MiB/s, ETA 0s"),
        Arguments.of(
            List.of(model("m", 3, 3, 1, 3 * MIB, 3 * MIB, 3 * MIB)),
            3 * SECOND,
            null,
            "m 100% [##########] 3/3 files, 3.0/3.0 MiB, 1 failed, 1.0 MiB/s, ETA 0s"),
        Arguments.of(
            List.of(model("tiny", 1, 2, 0, 140, 300, 140)),
            SECOND,
            null,
            "tiny 46% [####......] 1/2 files, 140/300 B, 140 B/s, ETA 1s"),
        Arguments.of(
            List.of(model("big", 0, 9, 0, 0, 3 * (1L << 40), 0)),
            SECOND,
            null,
            "big 0% [..........] 0/9 files, 0.0/3.0 TiB, 0 B/s, ETA unknown"),
        // A key-chosen name cannot break the line.
        Arguments.of(
            List.of(model("evil\nmodel-prefetch: done", 0, 1, 0, 0, 10, 0)),
            SECOND,
            null,
            "evil\\nmodel-prefetch: done 0% [..........] 0/1 files, 0/10 B, 0 B/s, ETA unknown"),
        // Several models: the whole first, then each.
        Arguments.of(
            List.of(model("a", 1, 2, 0, GIB, 2 * GIB, GIB), model("b", 0, 3, 0, 0, 2 * GIB, 0)),
            SECOND,
            null,
            "2 models 25% [##........] 1/5 files, 1.0/4.0 GiB, 1.0 GiB/s, ETA 3s; a 50% [#####.....] 1/2 files,"
                + " 1.0/2.0 GiB; b 0% [..........] 0/3 files, 0.0/2.0 GiB"));
  }

  @ParameterizedTest
  @MethodSource("lines")
  void lineReadsAtAGlance(
      List<Progress.Snapshot> models, long elapsedNanos, Integer streams, String expected) {
    long fetched = models.stream().mapToLong(Progress.Snapshot::bytesFetched).sum();
    long bytesPerSecond = Math.round(fetched / (elapsedNanos / 1e9)); // as fetched over that time
    assertEquals(expected, ProgressReporter.line(models, bytesPerSecond, streams, false));
  }

  @Test
  void aRedrawnLineOfSeveralModelsShowsOnlyTheWhole() {
    List<Progress.Snapshot> models =
        List.of(model("a", 1, 2, 0, GIB, 2 * GIB, GIB), model("b", 0, 3, 0, 0, 2 * GIB, 0));
    assertEquals(
        "2 models 25% [##........] 1/5 files, 1.0/4.0 GiB, 1.0 GiB/s, ETA 3s",
        ProgressReporter.line(models, GIB, null, true));
  }

  @Test
  void throughputLooksBackTenSecondsFromTheLastTickBeforeBytesCameIn() {
    try (ProgressReporter reporter =
        new ProgressReporter(
            List.of(),
            new io.modelprefetch.transforms.engine.Progress(),
            new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
            java.time.Duration.ZERO,
            false)) {
      long t0 = System.nanoTime();
      assertEquals(0, reporter.bytesPerSecond(t0 + 5 * SECOND, 0), "listing: nothing yet");
      assertEquals(0, reporter.bytesPerSecond(t0 + 6 * SECOND, 0));
      // 8 MiB in the second since the last idle tick, not diluted by the 6 s of listing
      assertEquals(8 * MIB, reporter.bytesPerSecond(t0 + 7 * SECOND, 8 * MIB));
      assertEquals(8 * MIB, reporter.bytesPerSecond(t0 + 8 * SECOND, 16 * MIB));
      // at 2 MiB/s from then on, the window forgets the fast start after 10 s
      for (int s = 9; s <= 18; s++) {
        reporter.bytesPerSecond(t0 + s * SECOND, 16 * MIB + (s - 8) * 2 * MIB);
      }
      assertEquals(2 * MIB, reporter.bytesPerSecond(t0 + 19 * SECOND, 16 * MIB + 11 * 2 * MIB));
      // a stall brings the rate down as it fills the window: 18 MiB over the 10 s since t=10 ...
      assertEquals(
          Math.round(18 * MIB / 10.0), reporter.bytesPerSecond(t0 + 20 * SECOND, 38 * MIB));
      // ... to 0 once it fills it, and the rate after it counts from its last tick
      for (int s = 21; s <= 30; s++) {
        reporter.bytesPerSecond(t0 + s * SECOND, 38 * MIB);
      }
      assertEquals(0, reporter.bytesPerSecond(t0 + 31 * SECOND, 38 * MIB));
      assertEquals(4 * MIB, reporter.bytesPerSecond(t0 + 32 * SECOND, 42 * MIB));
    }
  }

  @ParameterizedTest
  @CsvSource({"0, 100, 0", "9, 100, 0", "10, 100, 1", "99, 100, 9", "100, 100, 10", "5, 0, 0"})
  void barCountsWholeTenthsInPlace(long done, long total, int full) {
    assertEquals("#".repeat(full) + ".".repeat(10 - full), ProgressReporter.bar(done, total));
  }
}
