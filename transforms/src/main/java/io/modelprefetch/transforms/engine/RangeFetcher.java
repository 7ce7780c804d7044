package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.model.RetryCause;
import io.modelprefetch.transforms.s3.RangeSource;
import io.modelprefetch.transforms.s3.RangeSources;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.storage.RangeWriter;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.RangeDigests;
import io.modelprefetch.transforms.verify.StoredEvidence;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Fetches one range into the object's temporary file: a ranged GET pinned to the listed ETag
 * ({@code If-Match}), the digests of its {@link DigestPlan} computed while the bytes pass,
 * positional writes, then a journal record. Retries what can succeed on a retry. A range a killed
 * run already wrote and journaled ({@link RangeTask#local}) is read back from the file for its
 * digests instead: the evidence always describes the bytes that will get the final name. Runs on
 * the runtime's fetch threads, outside Beam's metric context: the calling DoFn counts the outcome.
 */
public final class RangeFetcher {

  private static final Logger LOG = LoggerFactory.getLogger(RangeFetcher.class);

  /**
   * The wait before a retry after a failure other than throttling: retry n waits between half and
   * all of 100 ms·2^n (200 ms, 400 ms, 800 ms, ...), at most 5 s. The SDK's strategies count
   * attempts, and wait between half and all of base·2^(a−2) before attempt a ≥ 2: retry n is
   * attempt n + 1 (see {@link #pauseMillis}), so their base is twice ours.
   */
  static final BackoffStrategy BACKOFF =
      BackoffStrategy.exponentialDelayHalfJitter(Duration.ofMillis(200), Duration.ofSeconds(5));

  /**
   * How often a range is retried after the store throttled it (503 SlowDown, 429), apart from the
   * {@code maxAttempts} of other failures: throttling says "later", not "broken", and the
   * concurrency controller cuts the ranges in flight at the same time, so the rate soon fits. With
   * backoff from 2 s doubling to 20 s, 10 retries wait two minutes or so in all before the range
   * fails.
   */
  public static final int MAX_THROTTLED_RETRIES = 10;

  /**
   * The wait before a retry after throttling: retry n waits between half and all of 2^n seconds (2
   * s, 4 s, 8 s, ...), at most 20 s. Stores limit requests per second, so the first retries, which
   * a burst throttles all at once, wait a second or more, spread over the next second: waiting less
   * (0.5-1 s) sent half of them into the same second's limit again (bench, 20 ms / 25 MB/s / 10
   * requests/s: up to 37 % of the requests refused).
   */
  static final BackoffStrategy THROTTLED_BACKOFF =
      BackoffStrategy.exponentialDelayHalfJitter(Duration.ofSeconds(2), Duration.ofSeconds(20));

  /**
   * Each fetch thread's read buffer. With up to {@link FetchSettings#ADAPTIVE_CEILING} ranges in
   * flight, small enough that their buffers (and the JDK's socket and file buffers, sized by each
   * read and write) stay a few MiB each; large enough that a read is a few hundred microseconds of
   * a fast link.
   */
  private static final int BUFFER_BYTES = 256 << 10;

  private static final ThreadLocal<byte[]> BUFFERS =
      ThreadLocal.withInitial(() -> new byte[BUFFER_BYTES]);

  private final RangeSources sources;
  private final FetchSettings settings;
  private final FetchRuntime runtime;

  /**
   * Fetches the ranges of objects of one recipe through its {@code sources} ({@link #sourcesOf}).
   */
  public RangeFetcher(RangeSources sources, FetchRuntime runtime) {
    this.sources = sources;
    this.settings = runtime.settings();
    this.runtime = runtime;
  }

  /**
   * The sources of {@code recipe}'s ranges: its small GETs, which {@code runtime} keeps, and its
   * SDK client for fetches, which the caller keeps.
   */
  public static RangeSources sourcesOf(ClientRecipe recipe, S3Client sdk, FetchRuntime runtime) {
    return RangeSources.of(runtime.smallGets(recipe), sdk);
  }

  /** Fetches {@code task} on {@code runtime}'s executor (see {@link FetchRuntime#submit}). */
  public CompletableFuture<FetchedRange> submit(RangeTask task) {
    return runtime.submit(task, () -> fetch(task));
  }

  public FetchedRange fetch(RangeTask task) {
    if (task.local()) {
      FetchedRange read = readBack(task);
      if (read != null) {
        return read;
      }
      task = task.withLocal(false); // the file could not be read there: fetch the range again
    }
    ObjectRef object = task.object();
    long startedNanos = System.nanoTime();
    Map<RetryCause, Integer> causes = new EnumMap<>(RetryCause.class);
    int failures = 0; // attempts that failed for another cause than throttling
    int throttles = 0;
    long fetched = 0;
    while (true) {
      Transfer transfer = new Transfer(task);
      try {
        FetchedRange range = transfer.run();
        fetched += transfer.bytes;
        range =
            new FetchedRange(
                task,
                fetched,
                range.plan(),
                range.digests(),
                causes,
                millisSince(startedNanos),
                null,
                false);
        if (!task.isWholeObject()) {
          // A whole object is simply fetched again after a crash; a part of a large one is kept.
          Journal.record(range);
        }
        return inOrder(range, transfer.inOrder);
      } catch (Exception e) {
        fetched += transfer.bytes;
        runtime
            .progress()
            .bytes(object.model(), -transfer.bytes); // only bytes that stay count as progress
        String what =
            S3Errors.describe(
                e, object.uri() + " bytes=" + task.first() + "-" + task.lastInclusive());
        if (e instanceof S3Exception s3e && s3e.statusCode() == 412) {
          return FetchedRange.failed(task, fetched, causes, millisSince(startedNanos), what, true);
        }
        // A failed local write (disk full, permissions) is not the store's: fetching again will not
        // help.
        boolean retryable =
            !(e instanceof LocalFiles.LocalWriteException) && S3Errors.isRetryable(e);
        RetryCause cause = retryable ? S3Errors.retryCause(e) : null;
        boolean throttled = cause == RetryCause.THROTTLED;
        if (cause == null
            || (throttled
                ? throttles >= MAX_THROTTLED_RETRIES
                : failures + 1 >= settings.maxAttempts())) {
          LOG.warn("Range failed after {} attempt(s): {}", failures + throttles + 1, what);
          return FetchedRange.failed(task, fetched, causes, millisSince(startedNanos), what, false);
        }
        causes.merge(cause, 1, Integer::sum);
        long pauseMillis;
        if (throttled) {
          throttles++;
          runtime.controller().throttled(); // fewer ranges in flight, for every file
          LOG.info(
              "Retrying ({}, {} of {}): {}", cause.label(), throttles, MAX_THROTTLED_RETRIES, what);
          pauseMillis = pauseMillis(THROTTLED_BACKOFF, throttles);
        } else {
          failures++;
          LOG.info(
              "Retrying ({}, {} of {}): {}",
              cause.label(),
              failures,
              settings.maxAttempts() - 1,
              what);
          pauseMillis = pauseMillis(BACKOFF, failures);
        }
        if (!pause(pauseMillis)) {
          return FetchedRange.failed(
              task, fetched, causes, millisSince(startedNanos), what + " (interrupted)", false);
        }
      }
    }
  }

  /**
   * Hands a landed range to the object's in-order digests; the range that completes them carries
   * them.
   */
  private FetchedRange inOrder(FetchedRange range, InOrderDigests.@Nullable Stream streamed) {
    if (!InOrderDigests.appliesTo(range.task(), settings)) {
      return range;
    }
    Map<String, String> whole = runtime.inOrder().landed(range.task(), streamed);
    return whole == null ? range : range.withWholeDigests(whole);
  }

  /**
   * A range a killed run wrote, read back from the temporary file for its digests; null when the
   * file cannot be read there (the range is then fetched again).
   */
  private @Nullable FetchedRange readBack(RangeTask task) {
    DigestPlan plan = task.plan();
    if (!plan.computesDigests()) {
      return new FetchedRange(task, 0, plan, RangeDigests.Result.NONE, Map.of(), 0, null, false);
    }
    InOrderDigests.Stream inOrder =
        InOrderDigests.appliesTo(task, settings) ? runtime.inOrder().claim(task) : null;
    RangeDigests digests =
        new RangeDigests(
            plan, task.object().sizeBytes(), task.first(), task.lastInclusive(), false);
    byte[] buffer = BUFFERS.get();
    ByteBuffer wrapped = ByteBuffer.wrap(buffer);
    try (FileChannel file =
        FileChannel.open(LocalFiles.temporary(task.object()), StandardOpenOption.READ)) {
      long position = task.first();
      long end = task.lastInclusive() + 1;
      while (position < end) {
        wrapped.clear().limit((int) Math.min(buffer.length, end - position));
        int n = file.read(wrapped, position);
        if (n < 0) {
          throw new IOException("the temporary file ends at byte " + position + ", before " + end);
        }
        digests.update(buffer, 0, n);
        if (inOrder != null) {
          inOrder.update(buffer, 0, n);
        }
        position += n;
      }
    } catch (IOException e) {
      if (inOrder != null) {
        inOrder.abandon();
      }
      LOG.info(
          "Cannot read back {} bytes={}-{} written by an earlier run ({}); fetching it again",
          task.object().uri(),
          task.first(),
          task.lastInclusive(),
          e.toString());
      return null;
    }
    return inOrder(
        new FetchedRange(task, 0, plan, digests.finish(), Map.of(), 0, null, false), inOrder);
  }

  private static long millisSince(long startedNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
  }

  /** One attempt at one range. */
  private final class Transfer {
    private final RangeTask task;
    private long bytes;
    private InOrderDigests.@Nullable Stream
        inOrder; // this range's bytes feed the object's digests as they pass
    private InOrderDigests.@Nullable Waiting waiting; // not next yet: may take them over midway

    Transfer(RangeTask task) {
      this.task = task;
    }

    FetchedRange run() throws IOException {
      if (InOrderDigests.appliesTo(task, settings)) {
        inOrder = runtime.inOrder().claim(task);
        waiting = inOrder == null ? runtime.inOrder().waiting(task) : null;
      }
      try {
        return transfer();
      } catch (IOException | RuntimeException e) {
        if (inOrder != null) {
          inOrder.abandon();
        }
        throw e;
      }
    }

    /** The GET, its wait for the store reported to the controller however it ends. */
    private RangeSource.Response answer() throws IOException {
      try {
        return get();
      } finally {
        runtime.controller().firstByte();
      }
    }

    /**
     * The GET, through the source the recipe's {@link RangeSources} choose for this range. A range
     * that is the whole object is asked for without {@code Range} and with checksum mode, so the
     * answer carries the checksums the store keeps (S3 sends none with a partial answer).
     */
    private RangeSource.Response get() throws IOException {
      ObjectRef object = task.object();
      boolean whole = task.isWholeObject();
      return sources
          .forRange(object.bucket(), task.lengthBytes())
          .get(
              object.bucket(),
              object.key(),
              object.etag(),
              whole ? null : task.first() + "-" + task.lastInclusive(),
              whole && settings.digests());
    }

    private FetchedRange transfer() throws IOException {
      ObjectRef object = task.object();
      long expected = task.lengthBytes();
      DigestPlan plan = task.plan();
      RangeDigests digests = null;
      if (expected > 0) {
        byte[] buffer = BUFFERS.get();
        ConcurrencyController controller = runtime.controller();
        controller.started();
        try (RangeSource.Response in = answer();
            StallWatchdog.Watch watch = runtime.stalls().watch(in::abort);
            RangeWriter out = RangeWriter.open(task, settings.directIo())) {
          long length = in.contentLength();
          String wrong =
              RangeAnswer.problem(
                  in.status(),
                  in.contentRange(),
                  length < 0 ? null : length,
                  task.first(),
                  task.lastInclusive(),
                  object.sizeBytes());
          if (wrong != null) {
            throw new S3Errors.WrongRangeException(wrong);
          }
          if (task.isWholeObject() && settings.digests()) {
            plan = withAnswer(plan, in::header);
          }
          digests =
              new RangeDigests(
                  plan,
                  object.sizeBytes(),
                  task.first(),
                  task.lastInclusive(),
                  task.isWholeObject());
          long remaining = expected;
          while (remaining > 0) {
            int n;
            try {
              n = read(in.body(), buffer, (int) Math.min(buffer.length, remaining), watch);
            } catch (IOException | RuntimeException e) {
              if (watch.stalled()) {
                throw new S3Errors.StalledBodyException(
                    expected - remaining, runtime.stalls().window(), e);
              }
              throw e;
            }
            if (n < 0) {
              if (watch.stalled()) { // aborted between two reads: the stream just ends
                throw new S3Errors.StalledBodyException(
                    expected - remaining, runtime.stalls().window(), null);
              }
              throw new S3Errors.TruncatedBodyException(expected, expected - remaining);
            }
            bytes += n;
            runtime.progress().bytes(object.model(), n);
            controller.bytes(n);
            digests.update(buffer, 0, n);
            out.write(buffer, 0, n);
            if (inOrder != null) {
              inOrder.update(buffer, 0, n);
            } else if (waiting != null) {
              inOrder = waiting.claim(out); // digests what out wrote, this buffer too
            }
            remaining -= n;
          }
          out.finish();
          if (!task.isWholeObject() && Journal.needsFsync()) {
            out.force(); // durable before the journal vouches for it
          }
        } finally {
          controller.finished();
        }
      }
      return new FetchedRange(
          task,
          bytes,
          plan,
          digests == null ? RangeDigests.Result.NONE : digests.finish(),
          Map.of(),
          0,
          null,
          false);
    }

    /**
     * The plan of an object fetched in one range, chosen again with what the GET's answer says of
     * it (the checksums the store keeps, the uploader's MD5): no request beyond the GET asks.
     */
    private DigestPlan withAnswer(DigestPlan plan, Function<String, String> header) {
      StoredEvidence answered = StoredEvidence.fromHeaders(header);
      if (answered.problem() != null) {
        LOG.warn(
            "{}: {}; checked by the rest of its evidence", task.object().uri(), answered.problem());
      }
      if (answered.isEmpty()) {
        return plan;
      }
      ObjectRef object = task.object();
      return DigestPlan.choose(
          object.sizeBytes(),
          object.etag(),
          object.expectedSha256() != null,
          plan.known().or(answered),
          settings.verification());
    }
  }

  /**
   * Fills {@code buffer} up to {@code max} bytes (fewer at the end of the body), telling {@code
   * watch} of each read.
   */
  private static int read(InputStream in, byte[] buffer, int max, StallWatchdog.Watch watch)
      throws IOException {
    int total = 0;
    while (total < max) {
      int n = in.read(buffer, total, max - total);
      if (n < 0) {
        return total == 0 ? -1 : total;
      }
      watch.bytes(n);
      total += n;
    }
    return total;
  }

  /** How long to wait before retry {@code n} (1 for the first) with {@code strategy}. */
  static long pauseMillis(BackoffStrategy strategy, int n) {
    return strategy.computeDelay(n + 1).toMillis();
  }

  /** Sleeps; false when interrupted. */
  private static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
