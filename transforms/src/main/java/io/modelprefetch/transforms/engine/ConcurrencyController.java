package io.modelprefetch.transforms.engine;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many ranges a JVM keeps in flight: one controller for all files of all models, so that the
 * link, not each file, is what it tunes to.
 *
 * <p>Throughput from an object store comes from many requests in flight: each connection is capped
 * (about 85-100 MB/s on S3, often 10-25 MB/s across a WAN) and each request first waits tens of
 * milliseconds for its first byte. Past the link's capacity, more streams bring no more bytes, only
 * more memory and more requests for the store to refuse. The controller finds the smallest limit
 * that still fills the link, the way TCP finds a congestion window, but on the one thing that is
 * measured here: bytes per second.
 *
 * <h2>Inputs</h2>
 *
 * The fetch threads report, lock-free: {@link #bytes} as they arrive, {@link #started} when a
 * request is sent, {@link #firstByte} once its wait for the store is over, {@link #finished} when
 * it ends, {@link #throttled} when the store refuses it for its rate (503 SlowDown, 429, a
 * throttling code). Every decision is taken in {@link #sample}, on the caller's clock: the
 * scheduler calls it every {@value AdaptiveExecutor#SAMPLE_INTERVAL_MILLIS} ms, tests with a
 * simulated clock.
 *
 * <h2>Windows</h2>
 *
 * Throughput is judged over a window of at least {@link #MIN_WINDOW_NANOS} (1 s: ten samples, long
 * enough that 1 MiB reads from a few streams measure a rate to a few per cent). A window opens only
 * once the last change has settled: once the streams it started have had their first byte (every
 * request started, or about to be started, when the limit changed has reported {@link #firstByte};
 * at most {@link #MAX_SETTLE_NANOS} later, in case a count is lost), and after a decrease once the
 * streams above the new limit have drained. Running ranges are never stopped, so a step down takes
 * effect as ranges end: up to one range's transfer time when ranges that started together end
 * together. A window is judged only if it was saturated at every sample: work was queued, which
 * with {@link AdaptiveExecutor} means the limit was reached (fewer run with work queued only
 * between one task's end and the next one's start, which a sample may catch). With less work than
 * the limit the limit does not matter, so nothing is learnt and the limit holds (a probe goes back
 * to its base).
 *
 * <h2>The rule</h2>
 *
 * Two levels are compared by the <em>efficiency</em> of the streams between them: the throughput
 * each added stream brought, as a fraction of the average stream's at the lower level. Below the
 * knee it is about 1 (each stream brings its own share); past the knee, about 0. A stream earns its
 * place at {@link #MIN_EFFICIENCY} (0.5): the higher level wins if the streams it adds bring at
 * least half an average stream's throughput each. A step down is kept only when the streams it
 * removed brought less than a quarter ({@link #DOWN_EFFICIENCY}): noise between windows then moves
 * the limit up more readily than down, and past the knee, where removed streams brought nothing, it
 * still comes down to the knee.
 *
 * <h2>Phases</h2>
 *
 * <ul>
 *   <li>{@link Phase#SLOW_START}: from {@link #INITIAL_LIMIT} (8), the limit grows by {@link
 *       #SLOW_START_GROWTH} (1.5, so a jump past the knee overshoots it by at most half) after
 *       every window whose growth paid by the rule above. When one does not, the same level is
 *       measured once more (one window can be noise: a busy CPU, another tenant); when that does
 *       not pay either, the limit returns to the last level that paid and slow start is over for
 *       good.
 *   <li>{@link Phase#STEADY}: the limit holds at its base level, re-measured every window, for a
 *       hold of 1 window that doubles with every probe rejected, up to {@link #MAX_HOLD_WINDOWS}
 *       (8), and falls back to 1 when a probe is accepted. Then it probes, alternately up and down.
 *   <li>{@link Phase#PROBE_UP} / {@link Phase#PROBE_DOWN}: one step, a quarter of the limit (at
 *       least 1), so its effect on throughput (about 12 % at the threshold) stands out of the
 *       noise. An accepted probe becomes the base and the next step in the same direction is tried
 *       at once: additive growth or shrinkage, one step per window; upward, half the limit instead
 *       of a quarter when the added streams brought at least {@link #FAST_EFFICIENCY} (0.8) of an
 *       average stream's share, so that a limit cut by noise climbs back quickly. A rejected one
 *       goes back to the base.
 *   <li>A fall: when {@link #FALL_WINDOWS} (2) steady windows in a row drop below {@link
 *       #FALL_RATIO} (3/4) of the window before them at the same limit, capacity fell or the store
 *       slowed down. The limit is cut by {@link #FALL_CUT} (to 3/4) as a large step down, judged by
 *       the same rule: kept (and the descent goes on) if the streams removed were not earning their
 *       place, undone if they were.
 *   <li>{@link Phase#BACKOFF}: a throttling answer cuts the limit to {@link #THROTTLE_CUT} (0.7, as
 *       TCP CUBIC) of itself at once, whatever the phase and whether or not the window was
 *       saturated. The level throttled is remembered: the limit stays below it until {@link
 *       #THROTTLE_MEMORY_NANOS} (60 s) pass without a throttle. Throttles that arrive before the
 *       cut has settled answer requests sent before it and do not cut again (the cool-down); one
 *       that arrives after cuts again, so repeated cuts find the store's rate. The first window
 *       after a cut becomes the base; from there the limit climbs by steps as in STEADY, never by
 *       slow start.
 * </ul>
 *
 * The limit stays within {@link #FLOOR} (1) and the ceiling given.
 *
 * <h2>Fixed mode</h2>
 *
 * {@link #fixed} (the user chose the number): the limit is that number and neither probes nor
 * shrinks for throughput. It still backs off when throttled, as above, and climbs back by a step
 * per saturated window up to the number (below the remembered level until it is forgotten).
 *
 * <p>Thread-safe. The inputs are cheap and never block; {@link #sample} is synchronized and meant
 * for one caller.
 */
public final class ConcurrencyController {

  /** Where the controller is in its search, for the progress line and the logs. */
  public enum Phase {
    /** Multiplicative growth while each growth pays. */
    SLOW_START,
    /** Holding at the base level between probes (fixed mode: at its number). */
    STEADY,
    /** Measuring one step above the base (fixed mode: climbing back after a cut). */
    PROBE_UP,
    /** Measuring below the base: one step, or a cut after a fall in throughput. */
    PROBE_DOWN,
    /** Cut after a throttling answer; the next window is the new base. */
    BACKOFF
  }

  /**
   * What the controller last decided.
   *
   * @param limit ranges allowed in flight
   * @param phase where the search is
   * @param windowBytesPerSecond throughput of the last window closed, judged or not; 0 before one
   * @param fixed whether the limit was given by the user
   */
  public record Snapshot(int limit, Phase phase, double windowBytesPerSecond, boolean fixed) {
    @Override
    public String toString() {
      String name = phase.name().toLowerCase(Locale.ROOT);
      return String.format(
          Locale.ROOT,
          "limit %d (%s), %.1f MB/s",
          limit,
          fixed ? "fixed, " + name : name,
          windowBytesPerSecond / 1e6);
    }
  }

  /** Where an adaptive controller starts: enough streams to see a link's shape in one window. */
  public static final int INITIAL_LIMIT = 8;

  public static final int FLOOR = 1;

  /** The shortest window judged: 1 s, which averages out much of a real link's and CPU's swings. */
  public static final long MIN_WINDOW_NANOS = 1_000_000_000L;

  /** The longest a change waits for its streams' first bytes before a window opens anyway: 2 s. */
  public static final long MAX_SETTLE_NANOS = 2_000_000_000L;

  /** What slow start multiplies the limit by after a window whose growth paid. */
  public static final double SLOW_START_GROWTH = 1.5;

  /** The throughput an added stream must bring, as a fraction of the average stream's. */
  public static final double MIN_EFFICIENCY = 0.5;

  /**
   * An accepted probe whose streams brought at least this fraction of an average stream's share is
   * far below the knee: the next step up is half the limit ({@link #FAST_STEP_DIVISOR}) instead of
   * a quarter, so a limit cut by noise or a passing fall climbs back quickly; not once the store
   * has throttled.
   */
  public static final double FAST_EFFICIENCY = 0.8;

  public static final int FAST_STEP_DIVISOR = 2;

  /**
   * A step down is kept only when the streams it removed brought less than this fraction of an
   * average stream's share: clearly useless, not merely less than {@link #MIN_EFFICIENCY}. Windows
   * differ by noise (a busy CPU, other tenants); with one threshold both ways, noise walks the
   * limit down as readily as up, and a stream too few costs throughput while one too many costs
   * only its buffers.
   */
  public static final double DOWN_EFFICIENCY = 0.25;

  /** Windows in a row below {@link #FALL_RATIO} of the base that make a fall: one can be noise. */
  public static final int FALL_WINDOWS = 2;

  /** A probe moves the limit by {@code max(1, limit / STEP_DIVISOR)}. */
  public static final int STEP_DIVISOR = 4;

  /** The longest hold between probes, in windows: at the knee, a probe every 4-5 s or so. */
  public static final int MAX_HOLD_WINDOWS = 8;

  /**
   * A steady window below this fraction of the base (the window before, at the same limit) is a
   * fall.
   */
  public static final double FALL_RATIO = 0.75;

  /** What a fall cuts the limit to, as a fraction of itself. */
  public static final double FALL_CUT = 0.75;

  /** What a throttling answer cuts the limit to, as a fraction of itself. */
  public static final double THROTTLE_CUT = 0.7;

  /** How long the level that was throttled is remembered: 60 s. */
  public static final long THROTTLE_MEMORY_NANOS = 60_000_000_000L;

  private static final long NONE = Long.MIN_VALUE;

  private final LongAdder bytes = new LongAdder();
  private final LongAdder started = new LongAdder();
  private final LongAdder firstBytes = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final LongAdder throttles = new LongAdder();

  private final int ceiling;
  private final boolean fixed;
  private final int fixedLimit;
  private volatile int limit;
  private volatile Snapshot snapshot;

  // All below guarded by this.
  private Phase phase;
  private boolean hasBase; // whether baseLimit/baseRate hold a measurement to compare with
  private int baseLimit;
  private double baseRate;
  private int holdWindows = 1;
  private int holdLeft = 1;
  private boolean nextProbeUp = true;
  private long windowStartNanos = NONE; // NONE while a change settles
  private long windowStartBytes;
  private boolean windowSaturated;
  private long settleMark; // the first-byte count that ends the settling
  private long settleDeadlineNanos = NONE;
  private long seenThrottles;
  private boolean coolingDown;
  private int throttleCap; // the limit stays at or below this while a throttle is remembered
  private long lastThrottleNanos;
  private double lastRate;
  private boolean slowStartMissed; // the last slow-start window did not pay; one more is measured
  private int fallWindows; // steady windows in a row below the fall ratio

  private ConcurrencyController(int initialLimit, int ceiling, boolean fixed) {
    this.ceiling = ceiling;
    this.fixed = fixed;
    this.fixedLimit = fixed ? initialLimit : 0;
    this.throttleCap = ceiling;
    this.phase = fixed ? Phase.STEADY : Phase.SLOW_START;
    this.limit = initialLimit;
    this.snapshot = new Snapshot(initialLimit, phase, 0, fixed);
  }

  /**
   * A controller that finds the limit itself, starting at {@link #INITIAL_LIMIT} (or the ceiling,
   * if lower).
   *
   * @param ceiling the most ranges in flight, from the memory their buffers may take; at least 1
   */
  public static ConcurrencyController adaptive(int ceiling) {
    if (ceiling < FLOOR) {
      throw new IllegalArgumentException("ceiling must be >= " + FLOOR + ", was " + ceiling);
    }
    return new ConcurrencyController(Math.min(INITIAL_LIMIT, ceiling), ceiling, false);
  }

  /**
   * A controller held at {@code limit} ({@code --num-threads}), which backs off only when
   * throttled.
   *
   * @param limit the ranges in flight, at least 1; also the ceiling
   */
  public static ConcurrencyController fixed(int limit) {
    if (limit < FLOOR) {
      throw new IllegalArgumentException("limit must be >= " + FLOOR + ", was " + limit);
    }
    return new ConcurrencyController(limit, limit, true);
  }

  /** {@code n} bytes of a response body arrived (call per read, failed attempts included). */
  public void bytes(long n) {
    bytes.add(n);
  }

  /** A request is about to be sent (each attempt of a range is a request). */
  public void started() {
    started.increment();
  }

  /**
   * The request's wait for the store is over: its first byte or an error answer arrived, or it
   * failed without an answer. Exactly once per {@link #started}: the windows wait for these counts
   * to catch up with the requests started.
   */
  public void firstByte() {
    firstBytes.increment();
  }

  /** The request ended, however it ended. Once per {@link #started}. */
  public void finished() {
    finished.increment();
  }

  /** The store refused a request for its rate: 503 SlowDown, 429, or a throttling error code. */
  public void throttled() {
    throttles.increment();
  }

  /** Ranges allowed in flight now. */
  public int limit() {
    return limit;
  }

  public int ceiling() {
    return ceiling;
  }

  /** Requests started and not yet finished. */
  public long requestsInFlight() {
    return started.sum() - finished.sum();
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  @Override
  public String toString() {
    return snapshot.toString();
  }

  /**
   * Takes the decisions due at {@code nowNanos} and returns the limit.
   *
   * @param nowNanos the caller's clock ({@link System#nanoTime} in production); never going back
   * @param inFlight ranges running now
   * @param queued ranges waiting for a slot
   */
  public synchronized int sample(long nowNanos, int inFlight, int queued) {
    long bytesNow = bytes.sum();
    long throttlesNow = throttles.sum();
    boolean throttledNow = throttlesNow > seenThrottles;
    seenThrottles = throttlesNow;
    if (throttledNow) {
      lastThrottleNanos = nowNanos;
    } else if (throttleCap < ceiling && nowNanos - lastThrottleNanos >= THROTTLE_MEMORY_NANOS) {
      throttleCap = ceiling;
    }
    if (throttledNow && !coolingDown) {
      backOff(nowNanos, inFlight, queued);
    } else if (windowStartNanos == NONE) {
      if (settled(nowNanos, inFlight)) {
        coolingDown = false;
        openWindow(nowNanos, bytesNow, inFlight, queued);
      }
    } else {
      windowSaturated &= saturated(queued);
      long elapsedNanos = nowNanos - windowStartNanos;
      if (elapsedNanos >= MIN_WINDOW_NANOS) {
        long windowBytes = bytesNow - windowStartBytes;
        lastRate = windowBytes * 1e9 / elapsedNanos;
        if (windowSaturated && windowBytes > 0) {
          int before = limit;
          decide(lastRate, nowNanos, inFlight, queued);
          if (limit == before) {
            openWindow(nowNanos, bytesNow, inFlight, queued);
          }
        } else if (!fixed && (phase == Phase.PROBE_UP || phase == Phase.PROBE_DOWN)) {
          steady(holdWindows); // nothing learnt: back to what was
          change(baseLimit, nowNanos, inFlight, queued);
        } else {
          settle(
              nowNanos, inFlight,
              queued); // nothing learnt: the next window opens once the work has settled
        }
      }
    }
    snapshot = new Snapshot(limit, phase, lastRate, fixed);
    return limit;
  }

  private void decide(double rate, long nowNanos, int inFlight, int queued) {
    int current = limit;
    if (fixed) {
      int target = Math.min(fixedLimit, cap());
      phase = current < target ? Phase.PROBE_UP : Phase.STEADY;
      if (current < target) {
        change(Math.min(target, current + step(current)), nowNanos, inFlight, queued);
      }
      return;
    }
    switch (phase) {
      case SLOW_START -> {
        boolean paid = !hasBase || efficiency(baseLimit, baseRate, current, rate) >= MIN_EFFICIENCY;
        if (!paid && !slowStartMissed) {
          slowStartMissed = true; // one window can be noise: measure this level once more
          return;
        }
        slowStartMissed = false;
        if (paid) {
          base(current, rate);
          int next = Math.min(cap(), (int) Math.ceil(current * SLOW_START_GROWTH));
          if (next > current) {
            change(next, nowNanos, inFlight, queued);
          } else {
            steady(1);
          }
        } else { // the knee lies between the base and here
          steady(1);
          change(baseLimit, nowNanos, inFlight, queued);
        }
      }
      case STEADY, BACKOFF -> {
        boolean fell =
            phase == Phase.STEADY && hasBase && rate < FALL_RATIO * baseRate && current > FLOOR;
        if (fell && ++fallWindows < FALL_WINDOWS) {
          return; // one window can be noise: a fall must last
        }
        if (fell) {
          fallWindows = 0;
          base(current, rate);
          phase = Phase.PROBE_DOWN;
          change(Math.min(current - 1, (int) (current * FALL_CUT)), nowNanos, inFlight, queued);
          return;
        }
        fallWindows = 0;
        if (phase == Phase.BACKOFF) {
          steady(holdWindows);
        }
        base(current, rate);
        if (--holdLeft <= 0) {
          probe(nowNanos, inFlight, queued);
        }
      }
      case PROBE_UP -> {
        double efficiency = efficiency(baseLimit, baseRate, current, rate);
        if (efficiency >= MIN_EFFICIENCY) {
          accepted(current, rate);
          if (current < cap()) {
            // Far below the knee (each added stream brought nearly its full share): a larger step.
            // Never towards a store that has throttled: it refuses rates, not streams.
            int step =
                efficiency >= FAST_EFFICIENCY && seenThrottles == 0
                    ? Math.max(step(current), current / FAST_STEP_DIVISOR)
                    : step(current);
            change(Math.min(cap(), current + step), nowNanos, inFlight, queued);
          } else {
            steady(1);
          }
        } else {
          rejected(false, nowNanos, inFlight, queued);
        }
      }
      case PROBE_DOWN -> {
        if (efficiency(current, rate, baseLimit, baseRate) < DOWN_EFFICIENCY) {
          accepted(current, rate);
          if (current > FLOOR) {
            change(current - step(current), nowNanos, inFlight, queued);
          } else {
            steady(1);
          }
        } else {
          rejected(true, nowNanos, inFlight, queued);
        }
      }
    }
  }

  /** Steps away from the base, in the direction due if it can move that way, else the other. */
  private void probe(long nowNanos, int inFlight, int queued) {
    int current = limit;
    boolean canGoUp = current < cap();
    boolean canGoDown = current > FLOOR;
    boolean up = nextProbeUp ? canGoUp : !canGoDown;
    if (up && canGoUp) {
      phase = Phase.PROBE_UP;
      change(Math.min(cap(), current + step(current)), nowNanos, inFlight, queued);
    } else if (!up && canGoDown) {
      phase = Phase.PROBE_DOWN;
      change(current - step(current), nowNanos, inFlight, queued);
    } else {
      holdLeft = holdWindows; // floor and cap meet: nothing to try
    }
  }

  private void accepted(int level, double rate) {
    base(level, rate);
    holdWindows = 1;
  }

  /** The probe did not pay: back to the base, hold twice as long, try the other way next. */
  private void rejected(boolean wentDown, long nowNanos, int inFlight, int queued) {
    holdWindows = Math.min(MAX_HOLD_WINDOWS, holdWindows * 2);
    nextProbeUp = wentDown;
    steady(holdWindows);
    change(baseLimit, nowNanos, inFlight, queued);
  }

  private void backOff(long nowNanos, int inFlight, int queued) {
    int current = limit;
    throttleCap = Math.max(FLOOR, current - 1);
    phase = Phase.BACKOFF;
    hasBase = false;
    coolingDown = true;
    nextProbeUp = true;
    change(Math.min(current - 1, (int) (current * THROTTLE_CUT)), nowNanos, inFlight, queued);
  }

  private void steady(int windows) {
    phase = Phase.STEADY;
    holdLeft = windows;
  }

  private void base(int level, double rate) {
    hasBase = true;
    baseLimit = level;
    baseRate = rate;
  }

  private int cap() {
    return Math.min(ceiling, throttleCap);
  }

  private void change(int newLimit, long nowNanos, int inFlight, int queued) {
    limit = Math.max(FLOOR, Math.min(ceiling, newLimit));
    settle(nowNanos, inFlight, queued);
  }

  /**
   * Closes the window; the next opens once the requests started by now have had their first byte.
   */
  private void settle(long nowNanos, int inFlight, int queued) {
    windowStartNanos = NONE;
    long toStart =
        Math.max(0, Math.min(queued, limit - inFlight)); // the scheduler starts these next
    settleMark = started.sum() + toStart;
    settleDeadlineNanos = nowNanos + MAX_SETTLE_NANOS;
  }

  private boolean settled(long nowNanos, int inFlight) {
    return inFlight <= limit
        && (firstBytes.sum() >= settleMark || nowNanos - settleDeadlineNanos >= 0);
  }

  private void openWindow(long nowNanos, long bytesNow, int inFlight, int queued) {
    windowStartNanos = nowNanos;
    windowStartBytes = bytesNow;
    windowSaturated = saturated(queued);
  }

  /**
   * Whether the limit binds: work waits for a slot. With work queued, fewer than the limit run only
   * for the instant between one task's end and the next one's start, which a sample may catch.
   */
  private static boolean saturated(int queued) {
    return queued > 0;
  }

  private static int step(int level) {
    return Math.max(1, level / STEP_DIVISOR);
  }

  /**
   * The throughput each stream between two levels brought, as a fraction of the average stream's at
   * the lower level: 1 below the knee, 0 past it.
   */
  static double efficiency(int lowLimit, double lowRate, int highLimit, double highRate) {
    double perAddedStream = (highRate - lowRate) / (highLimit - lowLimit);
    return perAddedStream / (lowRate / lowLimit);
  }
}
