package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Fetches one range into the object's temporary file, retrying what can succeed on a retry. Runs
 * on pool threads, outside Beam's metric context: the calling DoFn counts the outcome.
 */
final class RangeFetcher {

  private static final Logger LOG = LoggerFactory.getLogger(RangeFetcher.class);
  private static final int BUFFER_BYTES = 1 << 20;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final Map<Integer, ExecutorService> POOLS = new ConcurrentHashMap<>();
  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER_BYTES]);

  private final S3Client s3;
  private final FetchSettings settings;

  RangeFetcher(S3Client s3, FetchSettings settings) {
    this.s3 = s3;
    this.settings = settings;
  }

  /** The JVM's pool of fetch threads of the given size, created on first use. */
  static ExecutorService pool(int threads) {
    return POOLS.computeIfAbsent(threads, n -> {
      AtomicInteger id = new AtomicInteger();
      return Executors.newFixedThreadPool(n, r -> {
        Thread t = new Thread(r, "prefetch-range-" + id.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    });
  }

  FetchedRange fetch(RangeTask task) {
    ObjectRef object = task.object();
    if (task.lengthBytes() == 0) {
      return new FetchedRange(task, 0, task.isWholeObject() ? md5Hex(new byte[0], 0) : null, 0, null);
    }
    int retries = 0;
    long fetched = 0;
    while (true) {
      try {
        String md5 = transfer(task);
        fetched += task.lengthBytes();
        return new FetchedRange(task, fetched, md5, retries, null);
      } catch (Exception e) {
        String what = S3Errors.describe(e, object.uri() + " bytes=" + task.first() + "-" + task.lastInclusive());
        if (!S3Errors.isRetryable(e) || retries + 1 >= settings.maxAttempts()) {
          LOG.warn("Range failed after {} attempt(s): {}", retries + 1, what);
          return new FetchedRange(task, fetched, null, retries, what);
        }
        retries++;
        LOG.info("Retrying ({} of {}): {}", retries, settings.maxAttempts() - 1, what);
        if (!backoff(retries)) {
          return new FetchedRange(task, fetched, null, retries, what + " (interrupted)");
        }
      }
    }
  }

  /** One attempt: GET the range and write it in place; returns the MD5 of a whole object. */
  private String transfer(RangeTask task) throws IOException {
    ObjectRef object = task.object();
    long expected = task.lengthBytes();
    MessageDigest md5 = task.isWholeObject() ? md5() : null;
    byte[] buffer = BUFFERS.get();
    try (ResponseInputStream<GetObjectResponse> in =
            s3.getObject(b -> b.bucket(object.bucket()).key(object.key())
                .range("bytes=" + task.first() + "-" + task.lastInclusive()));
        FileChannel channel = LocalFiles.openForWrite(object)) {
      Long length = in.response().contentLength();
      if (length != null && length != expected) {
        throw new IOException("server answered bytes=" + task.first() + "-" + task.lastInclusive()
            + " with " + length + " bytes instead of " + expected + "; it may not support Range requests");
      }
      long position = task.first();
      long remaining = expected;
      while (remaining > 0) {
        int n = read(in, buffer, (int) Math.min(buffer.length, remaining));
        if (n < 0) {
          throw new S3Errors.TruncatedBodyException(expected, expected - remaining);
        }
        if (md5 != null) {
          md5.update(buffer, 0, n);
        }
        LocalFiles.writeFully(channel, ByteBuffer.wrap(buffer, 0, n), position);
        position += n;
        remaining -= n;
      }
    }
    return md5 == null ? null : HexFormat.of().formatHex(md5.digest());
  }

  private static int read(InputStream in, byte[] buffer, int max) throws IOException {
    int total = 0;
    while (total < max) {
      int n = in.read(buffer, total, max - total);
      if (n < 0) {
        return total == 0 ? -1 : total;
      }
      total += n;
    }
    return total;
  }

  /** Capped exponential backoff with full jitter; false when interrupted. */
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

  private static String md5Hex(byte[] bytes, int length) {
    MessageDigest md5 = md5();
    md5.update(bytes, 0, length);
    return HexFormat.of().formatHex(md5.digest());
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
