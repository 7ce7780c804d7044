package io.modelprefetch.transforms.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A link to an object store, simulated in fixed steps of 1 ms on its own clock, driving a {@link
 * ConcurrencyController} as the scheduler and the fetch threads would: ranges start while fewer
 * than the limit are in flight, each request waits for its first byte, then moves bytes at {@code
 * min(per-connection cap, aggregate capacity / streams moving bytes)}, reported in 1 MiB reads; the
 * controller is sampled every 100 ms. A request-rate limit, when set, refuses requests beyond it (a
 * token bucket): a refused request answers after its latency, is counted as throttled and is
 * retried after the fetcher's backoff, holding its slot meanwhile.
 *
 * <p>The settings may change between calls to {@link #runFor}. Deterministic: the latency jitter
 * (+-25 %, so that streams do not move in lockstep) comes from a seeded generator.
 */
final class SimulatedLink {

  static final long MIB = 1 << 20;
  static final double MB = 1e6;
  static final long STEP_NANOS = 1_000_000L;
  static final long SAMPLE_NANOS = 100_000_000L;
  private static final double BURST_SECONDS = 1; // the token bucket holds a second of requests
  private static final int QUEUED_WHEN_UNLIMITED = 1_000;

  /** One sample: the clock, the limit decided and all bytes moved by then. */
  record Sample(long nanos, int limit, long bytes, ConcurrencyController.Phase phase) {}

  double perConnectionBytesPerSecond;
  double aggregateBytesPerSecond;
  long firstByteNanos;
  long rangeBytes = 64 * MIB;

  /** Requests per second the store accepts; 0 for no limit. */
  double requestsPerSecondLimit;

  /**
   * How much the link's capacity swings (0.3: each 700 ms, per-connection and aggregate capacity
   * are drawn anew between 70 % and 130 % of their settings), as other tenants, a busy CPU and the
   * network make a real link's do; 0 for a steady link.
   */
  double noise;

  private double factor = 1;
  private static final long NOISE_PERIOD_NANOS = 700_000_000L;

  /** Ranges the workload offers at once (running or queued); beyond the limit, the rest queue. */
  int offeredRanges = Integer.MAX_VALUE;

  long nowNanos;
  long requests;
  long throttledRequests;
  long bytesMoved;
  final List<Sample> samples = new ArrayList<>();

  private final ConcurrencyController controller;
  private final Random random;
  private final List<Stream> streams = new ArrayList<>();
  private double tokens = Double.NaN; // full at the first step

  private enum State {
    WAITING,
    MOVING,
    BACKING_OFF
  }

  private static final class Stream {
    State state;
    long readyNanos;
    boolean refused;
    int attempt;
    double received; // bytes of this attempt, fractional
    long reported;
  }

  SimulatedLink(
      ConcurrencyController controller,
      double perConnectionMBps,
      double aggregateMBps,
      long firstByteMillis) {
    this(controller, perConnectionMBps, aggregateMBps, firstByteMillis, 42);
  }

  SimulatedLink(
      ConcurrencyController controller,
      double perConnectionMBps,
      double aggregateMBps,
      long firstByteMillis,
      long seed) {
    this.random = new Random(seed);
    this.controller = controller;
    this.perConnectionBytesPerSecond = perConnectionMBps * MB;
    this.aggregateBytesPerSecond = aggregateMBps * MB;
    this.firstByteNanos = firstByteMillis * 1_000_000L;
  }

  SimulatedLink runFor(double seconds) {
    long end = nowNanos + (long) (seconds * 1e9);
    while (nowNanos < end) {
      step();
    }
    return this;
  }

  private void step() {
    nowNanos += STEP_NANOS;
    double stepSeconds = STEP_NANOS / 1e9;
    if (requestsPerSecondLimit > 0) {
      double bucket = requestsPerSecondLimit * BURST_SECONDS;
      tokens =
          Double.isNaN(tokens)
              ? bucket
              : Math.min(bucket, tokens + requestsPerSecondLimit * stepSeconds);
    }
    if (noise > 0 && nowNanos % NOISE_PERIOD_NANOS == 0) {
      factor = 1 - noise + 2 * noise * random.nextDouble();
    }
    long moving = streams.stream().filter(s -> s.state == State.MOVING).count();
    double perStream =
        moving == 0
            ? 0
            : Math.min(perConnectionBytesPerSecond, aggregateBytesPerSecond / moving)
                * stepSeconds
                * factor;
    for (int i = 0; i < streams.size(); i++) {
      Stream s = streams.get(i);
      switch (s.state) {
        case WAITING -> {
          if (nowNanos >= s.readyNanos) {
            controller.firstByte();
            if (s.refused) {
              controller.throttled();
              controller.finished();
              s.state = State.BACKING_OFF;
              long capMillis =
                  Math.min(5_000, 100L << Math.min(s.attempt, 10)); // as RangeFetcher.BACKOFF
              s.readyNanos =
                  nowNanos + (long) ((capMillis / 2 + random.nextDouble() * capMillis / 2) * 1e6);
            } else {
              s.state = State.MOVING;
            }
          }
        }
        case MOVING -> {
          s.received = Math.min(rangeBytes, s.received + perStream);
          while (s.received - s.reported >= MIB
              || (s.received >= rangeBytes && s.reported < rangeBytes)) {
            long n = Math.min(MIB, rangeBytes - s.reported);
            s.reported += n;
            bytesMoved += n;
            controller.bytes(n);
          }
          if (s.reported == rangeBytes) {
            controller.finished();
            streams.remove(i--);
          }
        }
        case BACKING_OFF -> {
          if (nowNanos >= s.readyNanos) {
            send(s);
          }
        }
      }
    }
    fill(); // as the scheduler does: a slot freed starts the next range at once
    if (nowNanos % SAMPLE_NANOS == 0) {
      controller.sample(nowNanos, streams.size(), queued());
      samples.add(
          new Sample(nowNanos, controller.limit(), bytesMoved, controller.snapshot().phase()));
    }
    fill();
  }

  private void fill() {
    while (streams.size() < controller.limit() && queued() > 0) {
      Stream s = new Stream();
      streams.add(s);
      send(s);
    }
  }

  private int queued() {
    if (offeredRanges == Integer.MAX_VALUE) {
      return QUEUED_WHEN_UNLIMITED;
    }
    return Math.max(0, offeredRanges - streams.size());
  }

  private void send(Stream s) {
    controller.started();
    requests++;
    s.attempt++;
    s.received = 0;
    s.reported = 0;
    s.state = State.WAITING;
    s.readyNanos = nowNanos + (long) (firstByteNanos * (0.75 + 0.5 * random.nextDouble()));
    s.refused = requestsPerSecondLimit > 0 && tokens < 1;
    if (s.refused) {
      throttledRequests++;
    } else {
      tokens -= requestsPerSecondLimit > 0 ? 1 : 0;
    }
  }

  /** Bytes per second moved over the last {@code seconds}. */
  double throughputOverLast(double seconds) {
    Sample last = samples.get(samples.size() - 1);
    long from = last.nanos() - (long) (seconds * 1e9);
    Sample first = samples.stream().filter(s -> s.nanos() >= from).findFirst().orElseThrow();
    return (last.bytes() - first.bytes()) * 1e9 / (last.nanos() - first.nanos());
  }

  /** The limits decided over the last {@code seconds}, one per sample. */
  List<Integer> limitsOverLast(double seconds) {
    long from = samples.get(samples.size() - 1).nanos() - (long) (seconds * 1e9);
    return samples.stream().filter(s -> s.nanos() >= from).map(Sample::limit).toList();
  }

  int maxLimit() {
    return samples.stream().mapToInt(Sample::limit).max().orElseThrow();
  }

  int minLimit() {
    return samples.stream().mapToInt(Sample::limit).min().orElseThrow();
  }

  /** The limit each second, for a failing test's message. */
  String trace() {
    StringBuilder out = new StringBuilder();
    for (int i = 9; i < samples.size(); i += 10) {
      Sample s = samples.get(i);
      Sample before = samples.get(i - 9);
      double rate = (s.bytes() - before.bytes()) * 1e9 / (s.nanos() - before.nanos()) / MB;
      out.append(
          String.format(
              "%n%6.1f s  limit %3d  %-10s %7.1f MB/s",
              s.nanos() / 1e9, s.limit(), s.phase(), rate));
    }
    return out.toString();
  }
}
