package io.modelprefetch.transforms.engine;

import static io.modelprefetch.transforms.engine.SimulatedLink.MB;
import static io.modelprefetch.transforms.engine.SimulatedLink.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.engine.ConcurrencyController.Phase;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The controller driven over a {@link SimulatedLink}: where it settles, how it reacts to the link
 * changing and to throttling, and its bounds. Every run is deterministic (simulated clock, seeded
 * jitter); the messages carry the trace, one line a second.
 */
class ConcurrencyControllerTest {

  /**
   * The streams that fill a link: aggregate / what one stream moves, its first-byte waits included.
   */
  private static double knee(SimulatedLink link) {
    double perStream =
        link.rangeBytes
            / (link.firstByteNanos / 1e9 + link.rangeBytes / link.perConnectionBytesPerSecond);
    return link.aggregateBytesPerSecond / perStream;
  }

  /** The link moved at least {@code bytesPerSecond} over the last {@code seconds}. */
  private static void assertThroughput(SimulatedLink link, double seconds, double bytesPerSecond) {
    double moved = link.throughputOverLast(seconds);
    assertTrue(
        moved >= bytesPerSecond, moved / MB + " MB/s, not " + bytesPerSecond / MB + link.trace());
  }

  /** The limit holds at one level but for probes one step either side of it. */
  private static void assertSettled(SimulatedLink link, double seconds) {
    List<Integer> limits = link.limitsOverLast(seconds);
    int mode =
        limits.stream()
            .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()))
            .entrySet()
            .stream()
            .max(Map.Entry.comparingByValue())
            .orElseThrow()
            .getKey();
    int step =
        Math.max(1, mode / ConcurrencyController.STEP_DIVISOR)
            + 1; // a step of the mode, or of one below it
    TreeSet<Integer> levels = new TreeSet<>(limits);
    assertTrue(
        levels.first() >= mode - step && levels.last() <= mode + step,
        "the last " + seconds + " s keep within a step of " + mode + ": " + levels + link.trace());
    for (int i = 1; i < limits.size(); i++) {
      assertTrue(
          Math.abs(limits.get(i) - limits.get(i - 1)) <= step,
          "no change larger than a step: "
              + limits.get(i - 1)
              + " -> "
              + limits.get(i)
              + link.trace());
    }
  }

  @Test
  void fastConnectionsSettleAtTheKneeFromBelow() {
    SimulatedLink link =
        new SimulatedLink(ConcurrencyController.adaptive(64), 25, 600, 30).runFor(120);

    double knee = knee(link); // 24.3
    int settled =
        link.limitsOverLast(60).stream().mapToInt(Integer::intValue).sum()
            / link.limitsOverLast(60).size();
    assertTrue(
        settled >= 22 && settled <= 32, "settles around 24-32, at " + settled + link.trace());
    assertThroughput(link, 60, 0.9 * 600 * MB);
    assertTrue(
        link.maxLimit() <= 2 * knee,
        "peaks at " + link.maxLimit() + " for a knee of " + knee + link.trace());
    assertEquals(8, link.samples.get(0).limit(), "starts at 8");
    assertSettled(link, 60);
  }

  @Test
  void slowConnectionsWithLatencyClimbToTheKneeOrTheCeiling() {
    SimulatedLink link =
        new SimulatedLink(ConcurrencyController.adaptive(64), 10, 600, 80).runFor(120);

    double knee = knee(link); // 60.9
    assertTrue(link.limitsOverLast(60).stream().allMatch(l -> l >= 48), link.trace());
    assertThroughput(link, 60, 0.9 * 600 * MB);
    assertTrue(knee > 56, "the knee, " + knee + ", is near the ceiling");
    assertSettled(link, 60);
  }

  @Test
  void aNoisyLinkIsStillClimbedToItsKnee() {
    for (long seed : new long[] {1, 2, 3, 4, 5}) {
      SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 10, 600, 80, seed);
      link.noise = 0.3;
      link.runFor(90);

      double settled =
          link.limitsOverLast(45).stream().mapToInt(Integer::intValue).average().orElseThrow();
      assertTrue(
          settled >= 40,
          "seed "
              + seed
              + ": climbs near the knee (61) or the ceiling despite swings of"
              + " 30 %, at "
              + settled
              + link.trace());
      assertThroughput(link, 45, 0.7 * 600 * MB);
    }
    for (long seed : new long[] {1, 2, 3}) {
      SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 25, 600, 30, seed);
      link.noise = 0.3;
      link.runFor(90);

      double settled =
          link.limitsOverLast(45).stream().mapToInt(Integer::intValue).average().orElseThrow();
      assertTrue(
          settled >= 18 && settled <= 40,
          "seed " + seed + ": near the knee (24), at " + settled + link.trace());
    }
  }

  @Test
  void smallRangesThatWaitOnLatencyGetMoreStreams() {
    SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 25, 400, 50);
    link.rangeBytes = MIB;
    link.runFor(60);

    double knee = knee(link); // 35.1: each 1 MiB range spends more than half its time waiting
    double settled =
        link.limitsOverLast(30).stream().mapToInt(Integer::intValue).average().orElseThrow();
    assertTrue(
        settled >= 0.85 * knee && settled <= 1.5 * knee,
        "settles at " + settled + " for " + knee + link.trace());
    assertThroughput(link, 30, 0.9 * 400 * MB);
  }

  @Test
  void whenCapacityFallsTheLimitShrinksToTheNewKnee() {
    SimulatedLink link =
        new SimulatedLink(ConcurrencyController.adaptive(64), 25, 600, 30).runFor(60);
    int before = link.limitsOverLast(20).stream().mapToInt(Integer::intValue).min().orElseThrow();

    link.aggregateBytesPerSecond = 300 * MB; // another tenant takes half the link
    link.runFor(60);

    double knee = knee(link); // 12.1
    List<Integer> after = link.limitsOverLast(30);
    assertTrue(
        after.stream().allMatch(l -> l < before && l <= 1.5 * knee),
        "below " + before + " and near " + knee + ": " + new TreeSet<>(after) + link.trace());
    assertThroughput(link, 30, 0.9 * 300 * MB);
    assertSettled(link, 30);
  }

  @Test
  void aStoreThatThrottlesIsBackedOffFromAndNotClimbedStraightBackInto() {
    SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 25, 2000, 30);
    link.rangeBytes = 8 * MIB;
    link.requestsPerSecondLimit =
        40; // 335 MB/s, about 14.6 streams; the link alone would take the ceiling
    link.runFor(120);

    assertTrue(link.throttledRequests > 0, "the store throttled");
    assertTrue(
        link.throttledRequests * 4 <= link.requests,
        link.throttledRequests + " of " + link.requests + " requests throttled" + link.trace());
    assertTrue(link.limitsOverLast(60).stream().allMatch(l -> l <= 24), link.trace());
    assertThroughput(link, 60, 0.75 * 40 * 8 * MIB);
    assertTrue(link.samples.stream().anyMatch(s -> s.phase() == Phase.BACKOFF));
    assertCutLevelsRemembered(link);
  }

  /** After a cut, the limit stays below the level cut from until the next cut or for 60 s. */
  private static void assertCutLevelsRemembered(SimulatedLink link) {
    List<SimulatedLink.Sample> samples = link.samples;
    int cuts = 0;
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i).phase() != Phase.BACKOFF || samples.get(i - 1).phase() == Phase.BACKOFF) {
        continue;
      }
      cuts++;
      int cutFrom = samples.get(i - 1).limit();
      long until = samples.get(i).nanos() + ConcurrencyController.THROTTLE_MEMORY_NANOS;
      for (int j = i + 1; j < samples.size() && samples.get(j).nanos() < until; j++) {
        if (samples.get(j).phase() == Phase.BACKOFF
            && samples.get(j - 1).phase() != Phase.BACKOFF) {
          break;
        }
        assertTrue(
            samples.get(j).limit() < cutFrom,
            "at "
                + samples.get(j).nanos() / 1e9
                + " s the limit is back at "
                + samples.get(j).limit()
                + ", cut from "
                + cutFrom
                + link.trace());
      }
    }
    assertTrue(cuts > 0 && cuts <= 6, cuts + " cuts" + link.trace());
  }

  @Test
  void withLessWorkThanTheLimitItHolds() {
    SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 25, 600, 30);
    link.offeredRanges = 5; // a workload that never has more than 5 ranges to fetch
    link.runFor(60);

    assertEquals(new TreeSet<>(List.of(8)), new TreeSet<>(link.limitsOverLast(60)), link.trace());

    link.offeredRanges = 10; // one slow-start step past the work, then it holds again
    link.runFor(60);
    assertEquals(new TreeSet<>(List.of(12)), new TreeSet<>(link.limitsOverLast(50)), link.trace());
  }

  @Test
  void fixedModeStaysAtItsNumberWhateverTheThroughput() {
    SimulatedLink below =
        new SimulatedLink(ConcurrencyController.fixed(16), 25, 600, 30).runFor(60);
    SimulatedLink above =
        new SimulatedLink(ConcurrencyController.fixed(48), 25, 600, 30).runFor(60);

    assertEquals(
        new TreeSet<>(List.of(16)), new TreeSet<>(below.limitsOverLast(60)), below.trace());
    assertEquals(
        new TreeSet<>(List.of(48)), new TreeSet<>(above.limitsOverLast(60)), above.trace());
  }

  @Test
  void fixedModeBacksOffWhenThrottledAndRecoversToItsNumber() {
    SimulatedLink link = new SimulatedLink(ConcurrencyController.fixed(32), 25, 2000, 30);
    link.rangeBytes = 8 * MIB;
    link.requestsPerSecondLimit = 40;
    link.runFor(30);
    int throttledLimit =
        link.limitsOverLast(10).stream().mapToInt(Integer::intValue).max().orElseThrow();

    link.requestsPerSecondLimit = 0; // the store's load went away
    link.runFor(90); // past the 60 s the throttled level is remembered

    assertTrue(throttledLimit < 32, "backed off to " + throttledLimit + link.trace());
    assertTrue(
        link.throttledRequests * 4 <= link.requests,
        link.throttledRequests + " of " + link.requests + " requests throttled" + link.trace());
    assertEquals(32, link.samples.get(link.samples.size() - 1).limit(), link.trace());
    assertEquals(32, link.maxLimit(), link.trace());
    assertCutLevelsRemembered(link);
  }

  @Test
  void theCeilingHolds() {
    SimulatedLink link =
        new SimulatedLink(ConcurrencyController.adaptive(10), 25, 600, 30).runFor(60);

    assertEquals(10, link.maxLimit(), link.trace());
    // the link wants 24: the limit stays at the ceiling but for probes a step (a quarter) down,
    // which fail
    assertEquals(
        new TreeSet<>(List.of(8, 10)), new TreeSet<>(link.limitsOverLast(40)), link.trace());
    assertTrue(
        link.limitsOverLast(40).stream().filter(l -> l == 10).count()
            > link.limitsOverLast(40).size() / 2,
        link.trace());
  }

  @Test
  void theFloorHolds() {
    SimulatedLink link = new SimulatedLink(ConcurrencyController.adaptive(64), 25, 600, 30);
    link.rangeBytes = 8 * MIB;
    link.requestsPerSecondLimit = 1; // less than one stream's worth of requests
    link.runFor(60);

    assertEquals(1, link.minLimit(), link.trace());
    assertEquals(1, link.samples.get(link.samples.size() - 1).limit(), link.trace());
  }

  @Test
  void aThrottleCutsAtOnceAndAgainOnlyAfterTheCutSettled() {
    ConcurrencyController c = ConcurrencyController.adaptive(64);
    long ms = 1_000_000L;
    c.sample(0, 8, 10);

    c.throttled();
    assertEquals(5, c.sample(100 * ms, 8, 10), "8 x 0.7");
    c.throttled(); // an answer to a request sent before the cut
    assertEquals(5, c.sample(200 * ms, 8, 10));
    assertEquals(5, c.sample(300 * ms, 5, 10)); // drained: the cut has settled
    c.throttled();
    assertEquals(3, c.sample(400 * ms, 5, 10), "5 x 0.7");
    assertEquals(Phase.BACKOFF, c.snapshot().phase());
  }

  @Test
  void aWindowOpensOnlyOnceTheStreamsAddedHaveTheirFirstByte() {
    ConcurrencyController c = ConcurrencyController.adaptive(64);
    long ms = 1_000_000L;
    for (int i = 0; i < 8; i++) {
      c.started();
      c.firstByte();
    }
    c.sample(0, 8, 100);
    c.bytes(100 * MIB);
    assertEquals(8, c.sample(500 * ms, 8, 100), "a window lasts a second");
    assertEquals(
        12, c.sample(1_000 * ms, 8, 100), "the first window is the base; slow start grows");
    assertEquals(100.0 * MIB, c.snapshot().windowBytesPerSecond(), 1e-3);
    for (int i = 0; i < 4; i++) {
      c.started(); // the 4 streams added, still waiting for their first byte
    }
    c.bytes(1_000 * MIB); // a burst no window may see
    assertEquals(12, c.sample(2_000 * ms, 12, 100));
    for (int i = 0; i < 4; i++) {
      c.firstByte();
    }
    c.sample(2_100 * ms, 12, 100); // opens the window
    c.bytes(100 * MIB); // 12 streams move what 8 did: the growth did not pay
    assertEquals(
        12,
        c.sample(3_100 * ms, 12, 100),
        "one window can be noise: the level is measured once more");
    c.bytes(100 * MIB); // nor again

    assertEquals(8, c.sample(4_100 * ms, 12, 100), "slow start is over, back at the base");
    assertEquals(100.0 * MIB, c.snapshot().windowBytesPerSecond(), 1e-3);
    assertEquals(Phase.STEADY, c.snapshot().phase());
  }

  @Test
  void snapshotsReadForTheLog() {
    ConcurrencyController c = ConcurrencyController.fixed(16);

    assertEquals("limit 16 (fixed, steady), 0.0 MB/s", c.toString());
    assertEquals("limit 8 (slow_start), 0.0 MB/s", ConcurrencyController.adaptive(64).toString());
  }

  @Test
  void boundsBelowOneAreRefused() {
    assertEquals(
        "ceiling must be >= 1, was 0",
        assertThrows(IllegalArgumentException.class, () -> ConcurrencyController.adaptive(0))
            .getMessage());
    assertEquals(
        "limit must be >= 1, was -2",
        assertThrows(IllegalArgumentException.class, () -> ConcurrencyController.fixed(-2))
            .getMessage());
  }
}
