package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.ConcurrencyController;
import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.engine.RangeAnswer;
import io.modelprefetch.transforms.engine.StallWatchdog;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.s3.SmallGets;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.RangeWriter;
import io.modelprefetch.transforms.verify.Crc64;
import io.modelprefetch.transforms.verify.Digests;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Fetches one range into the object's temporary file: a ranged GET pinned to the listed ETag
 * ({@code If-Match}), digests computed while the bytes pass, positional writes, fsync, then a
 * journal record. Retries what can succeed on a retry. Runs on pool threads, outside Beam's metric
 * context: the calling DoFn counts the outcome.
 */
final class RangeFetcher {

  static final List<String> CRC64_HEADERS = List.of("x-tos-hash-crc64ecma", "x-amz-hash-crc64ecma");

  private static final Logger LOG = LoggerFactory.getLogger(RangeFetcher.class);
  /**
   * Each fetch thread's read buffer. With up to {@link FetchSettings#ADAPTIVE_CEILING} ranges in
   * flight, small enough that their buffers (and the JDK's socket and file buffers, sized by each
   * read and write) stay a few MiB each; large enough that a read is a few hundred microseconds of
   * a fast link.
   */
  private static final int BUFFER_BYTES = 256 << 10;

  /** Ranges up to this size are fetched through {@link SmallGets}. */
  static final long SMALL_RANGE_BYTES = 1 << 20;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER_BYTES]);

  private final S3Client s3;
  private final FetchSettings settings;
  private final FetchRuntime runtime;

  RangeFetcher(S3Client s3, FetchRuntime runtime) {
    this.s3 = s3;
    this.settings = runtime.settings();
    this.runtime = runtime;
  }

  /** Fetches {@code task} on {@code runtime}'s pools (see {@link FetchRuntime#submit}). */
  CompletableFuture<FetchedRange> submit(RangeTask task) {
    return runtime.submit(task, () -> fetch(task));
  }

  FetchedRange fetch(RangeTask task) {
    ObjectRef object = task.object();
    long startedNanos = System.nanoTime();
    Map<S3Errors.RetryCause, Integer> causes = new EnumMap<>(S3Errors.RetryCause.class);
    int retries = 0;
    long fetched = 0;
    while (true) {
      Transfer transfer = new Transfer(task);
      try {
        FetchedRange range = transfer.run();
        fetched += transfer.bytes;
        range = new FetchedRange(task, fetched, range.crc64(), range.md5Hex(), range.partMd5Hex(), range.objectCrc64(),
            causes, millisSince(startedNanos), null, false);
        if (!task.isWholeObject()) {
          // A whole object is simply fetched again after a crash; a part of a large one is kept.
          Journal.record(range);
        }
        if (range.objectCrc64() != null && transfer.inOrder != null) {
          transfer.inOrder.abandon(); // a CRC-64 vouches instead
        }
        if (range.objectCrc64() == null && InOrderMd5.appliesTo(task, settings)) {
          String md5 = InOrderMd5.landed(task, transfer.inOrder);
          if (md5 != null) { // this range completed the object's MD5
            range = new FetchedRange(task, range.bytesFetched(), range.crc64(), md5, range.partMd5Hex(),
                range.objectCrc64(), range.retriesByCause(), range.fetchMillis(), null, false);
          }
        }
        return range;
      } catch (Exception e) {
        fetched += transfer.bytes;
        Progress.bytes(object.model(), -transfer.bytes); // only bytes that stay count as progress
        String what = S3Errors.describe(e, object.uri() + " bytes=" + task.first() + "-" + task.lastInclusive());
        if (e instanceof S3Exception s3e && s3e.statusCode() == 412) {
          return FetchedRange.failed(task, fetched, causes, millisSince(startedNanos), what, true);
        }
        if (!S3Errors.isRetryable(e) || retries + 1 >= settings.maxAttempts()) {
          LOG.warn("Range failed after {} attempt(s): {}", retries + 1, what);
          return FetchedRange.failed(task, fetched, causes, millisSince(startedNanos), what, false);
        }
        retries++;
        S3Errors.RetryCause cause = S3Errors.retryCause(e);
        causes.merge(cause, 1, Integer::sum);
        if (cause == S3Errors.RetryCause.THROTTLED) {
          runtime.controller().throttled(); // fewer ranges in flight, for every file
        }
        LOG.info("Retrying ({} of {}, {}): {}", retries, settings.maxAttempts() - 1, cause.label(), what);
        if (!backoff(retries)) {
          return FetchedRange.failed(task, fetched, causes, millisSince(startedNanos), what + " (interrupted)", false);
        }
      }
    }
  }

  private static long millisSince(long startedNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
  }

  /** One attempt at one range. */
  private final class Transfer {
    private final RangeTask task;
    private long bytes;
    private InOrderMd5.Stream inOrder; // this range's bytes feed the object's MD5 as they pass

    Transfer(RangeTask task) {
      this.task = task;
    }

    FetchedRange run() throws IOException {
      inOrder = InOrderMd5.appliesTo(task, settings) ? InOrderMd5.claim(task) : null;
      try {
        return transfer();
      } catch (IOException | RuntimeException e) {
        if (inOrder != null) {
          inOrder.abandon();
        }
        throw e;
      }
    }

    /**
     * Direct I/O, unless this range's bytes are to be read back for the object's MD5 (it landed
     * out of order): those are written to the page cache, where the read finds them.
     */
    private boolean directIo() {
      return settings.directIo() && (inOrder != null || !InOrderMd5.appliesTo(task, settings));
    }

    /** The ranged GET, its wait for the store reported to the controller however it ends. */
    private Body answer() throws IOException {
      try {
        return get();
      } finally {
        runtime.controller().firstByte();
      }
    }

    /** The ranged GET: through {@link SmallGets} for a small range, else through the SDK. */
    private Body get() throws IOException {
      ObjectRef object = task.object();
      if (task.lengthBytes() <= SMALL_RANGE_BYTES) {
        SmallGets small = SmallGets.of(object.client());
        SmallGets.Response response = small == null ? null
            : small.get(object.bucket(), object.key(), object.etag(), task.first(), task.lastInclusive());
        if (response != null) {
          long length = response.contentLength();
          return new Body(response.body(), response.status(), response.header("Content-Range"),
              length < 0 ? null : length, announcedCrc(response::header), response, response::abort);
        }
      }
      ResponseInputStream<GetObjectResponse> in =
          s3.getObject(b -> b.bucket(object.bucket()).key(object.key()).ifMatch(object.etag())
              .range("bytes=" + task.first() + "-" + task.lastInclusive()));
      return new Body(in, in.response().sdkHttpResponse().statusCode(), in.response().contentRange(),
          in.response().contentLength(),
          announcedCrc(name -> in.response().sdkHttpResponse().firstMatchingHeader(name).orElse(null)), in, in::abort);
    }

    private FetchedRange transfer() throws IOException {
      ObjectRef object = task.object();
      long expected = task.lengthBytes();
      Crc64 crc = null; // only when the server announces a CRC to check it against
      boolean digests = settings.digests();
      MessageDigest whole = digests && task.isWholeObject() ? Digests.md5() : null;
      long partBytes = digests ? task.uploadPartBytes() : 0;
      List<String> partMd5s = new ArrayList<>();
      MessageDigest part = partBytes > 0 ? Digests.md5() : null;
      long inPart = 0;
      String announced = null;
      if (expected > 0) {
        byte[] buffer = BUFFERS.get();
        ConcurrencyController controller = runtime.controller();
        controller.started();
        try (Body in = answer(); StallWatchdog.Watch watch = runtime.stalls().watch(in.abort());
            RangeWriter out = RangeWriter.open(task, directIo())) {
          String wrong = RangeAnswer.problem(in.status(), in.contentRange(), in.contentLength(), task.first(),
              task.lastInclusive(), object.sizeBytes());
          if (wrong != null) {
            throw new S3Errors.WrongRangeException(wrong);
          }
          announced = digests ? in.announcedCrc() : null;
          if (announced != null) {
            crc = new Crc64();
          }
          long remaining = expected;
          while (remaining > 0) {
            int n;
            try {
              n = read(in.stream(), buffer, (int) Math.min(buffer.length, remaining), watch);
            } catch (IOException | RuntimeException e) {
              if (watch.stalled()) {
                throw new S3Errors.StalledBodyException(expected - remaining, runtime.stalls().window(), e);
              }
              throw e;
            }
            if (n < 0) {
              throw new S3Errors.TruncatedBodyException(expected, expected - remaining);
            }
            bytes += n;
            Progress.bytes(object.model(), n);
            controller.bytes(n);
            if (crc != null) {
              crc.update(buffer, 0, n);
            }
            if (whole != null) {
              whole.update(buffer, 0, n);
            }
            if (inOrder != null) {
              inOrder.update(buffer, 0, n);
            }
            for (int off = 0; part != null && off < n; ) {
              int take = (int) Math.min(n - off, partBytes - inPart);
              part.update(buffer, off, take);
              off += take;
              inPart += take;
              if (inPart == partBytes) {
                partMd5s.add(HexFormat.of().formatHex(part.digest()));
                inPart = 0;
              }
            }
            out.write(buffer, 0, n);
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
      if (part != null && inPart > 0) {
        partMd5s.add(HexFormat.of().formatHex(part.digest()));
      }
      return new FetchedRange(task, bytes, crc == null ? 0 : crc.value(), whole == null ? null : HexFormat.of().formatHex(whole.digest()),
          partMd5s, announced, Map.of(), 0, null, false);
    }
  }

  /**
   * A response body being read: its stream, status, Content-Range and Content-Length (or null),
   * announced CRC-64 (or null), and how to abort it from another thread (a stalled body).
   */
  private record Body(InputStream stream, int status, String contentRange, Long contentLength, String announcedCrc,
      Closeable response, Runnable abort) implements Closeable {
    @Override
    public void close() throws IOException {
      response.close();
    }
  }

  private static String announcedCrc(Function<String, String> header) {
    for (String name : CRC64_HEADERS) {
      String value = header.apply(name);
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /** Fills {@code buffer} up to {@code max} bytes (fewer at the end of the body), telling {@code watch} of each read. */
  private static int read(InputStream in, byte[] buffer, int max, StallWatchdog.Watch watch) throws IOException {
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

  /** Capped exponential backoff with jitter; false when interrupted. */
  private static boolean backoff(int retry) {
    long cap = Math.min(MAX_BACKOFF_MILLIS, 100L << Math.min(retry, 10));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
