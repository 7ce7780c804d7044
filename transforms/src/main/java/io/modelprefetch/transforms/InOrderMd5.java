package io.modelprefetch.transforms;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.verify.Digests;
import io.modelprefetch.transforms.verify.Etags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MD5 of an object fetched in several ranges, computed as the download goes. An MD5 runs in
 * byte order. The range that is next in order when its fetch starts feeds the digest as its bytes
 * pass ({@link #claim}); a range that lands out of order waits, and the thread that completes the
 * one before it reads it back from the file and goes on with the ranges after it that have landed.
 * The range that completes the digest carries the object's MD5, so the commit step has nothing to
 * read again. The fetch pools start ranges lowest index first, so with a few files in flight most
 * ranges are next in order when they start. Used where all ranges of an object are fetched in this
 * JVM.
 */
final class InOrderMd5 {

  private static final Map<String, InOrderMd5> OBJECTS = new ConcurrentHashMap<>();
  private static final int BUFFER_BYTES = 1 << 20;

  private final MessageDigest md5 = Digests.md5();
  private final TreeMap<Integer, RangeTask> landed = new TreeMap<>(); // guarded by this
  private int next; // guarded by this
  private boolean draining; // guarded by this

  /**
   * Whether {@code task}'s object gets an in-order MD5: its ETag is a plain MD5, it comes in several
   * ranges not aligned to upload parts, digests are asked for, and all its ranges stay in this JVM.
   */
  static boolean appliesTo(RangeTask task, FetchSettings settings) {
    return settings.digests() && settings.spreadBuckets() > 0 && !task.isWholeObject()
        && task.uploadPartBytes() == 0 && Etags.isPlainMd5(Etags.normalize(task.object().etag()));
  }

  /**
   * Claims the object's digest for {@code task}'s bytes as they pass, when {@code task} is the next
   * range in order and no other thread is digesting the object: the bytes are then never read
   * back. The caller feeds every byte of the range to {@link Stream#update}, then hands the claim
   * to {@link #landed}, or gives it up with {@link Stream#abandon}.
   *
   * @return the claim, or null when the range is not next (it is read back once it is)
   */
  static Stream claim(RangeTask task) {
    String key = key(task.object());
    InOrderMd5 digest = OBJECTS.computeIfAbsent(key, k -> new InOrderMd5());
    synchronized (digest) {
      if (digest.draining || digest.next != task.index()) {
        return null;
      }
      digest.draining = true;
    }
    return new Stream(key, digest);
  }

  /** A claim on an object's digest: the range's bytes are fed to it as they pass. */
  static final class Stream {
    private final String key;
    private final InOrderMd5 digest;
    private long fed;

    private Stream(String key, InOrderMd5 digest) {
      this.key = key;
      this.digest = digest;
    }

    void update(byte[] bytes, int offset, int length) {
      digest.md5.update(bytes, offset, length);
      fed += length;
    }

    /**
     * Gives the claim up after a failed attempt. Before any byte was fed the digest is intact and
     * the range can claim it again; after, the object's MD5 is left to the commit step.
     */
    void abandon() {
      if (fed == 0) {
        synchronized (digest) {
          digest.draining = false;
        }
      } else {
        OBJECTS.remove(key, digest);
      }
    }
  }

  /**
   * Records that {@code task}'s bytes are in the temporary file and digests what is now in order:
   * the ranges that landed out of order are read back from the file.
   *
   * @param streamed the claim whose bytes were fed while they passed, or null
   * @return the object's MD5 (hex) when this call completed it, else null
   */
  static String landed(RangeTask task, Stream streamed) {
    String key = key(task.object());
    InOrderMd5 digest;
    if (streamed != null) {
      digest = streamed.digest;
      synchronized (digest) {
        digest.next++; // digested; this thread goes on with what landed behind it
      }
    } else {
      digest = OBJECTS.computeIfAbsent(key, k -> new InOrderMd5());
      synchronized (digest) {
        digest.landed.put(task.index(), task);
        if (digest.draining) {
          return null; // the thread digesting this object takes this range too
        }
        digest.draining = true;
      }
    }
    FileChannel file = null;
    try {
      ByteBuffer buffer = null;
      while (true) {
        RangeTask inOrder;
        synchronized (digest) {
          inOrder = digest.landed.remove(digest.next);
          if (inOrder == null) {
            digest.draining = false;
            if (digest.next < task.count()) {
              return null;
            }
            OBJECTS.remove(key, digest);
            return HexFormat.of().formatHex(digest.md5.digest());
          }
        }
        if (file == null) {
          file = FileChannel.open(LocalFiles.temporary(task.object()), StandardOpenOption.READ);
          buffer = ByteBuffer.allocate(BUFFER_BYTES);
        }
        digest(file, inOrder, digest.md5, buffer);
        synchronized (digest) {
          digest.next++;
        }
      }
    } catch (IOException e) {
      OBJECTS.remove(key, digest); // the commit step reads the file instead
      return null;
    } finally {
      closeQuietly(file);
    }
  }

  private static String key(ObjectRef object) {
    return LocalFiles.temporary(object).toString();
  }

  private static void closeQuietly(FileChannel file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        // read only
      }
    }
  }

  /** Drops what was digested of {@code object}: its ranges are about to be fetched again. */
  static void forget(ObjectRef object) {
    OBJECTS.remove(key(object));
  }

  private static void digest(FileChannel file, RangeTask range, MessageDigest md5, ByteBuffer buffer)
      throws IOException {
    long position = range.first();
    long end = range.lastInclusive() + 1;
    while (position < end) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
      int n = file.read(buffer, position);
      if (n < 0) {
        throw new IOException("the temporary file ends at " + position + ", before " + end);
      }
      buffer.flip();
      md5.update(buffer);
      position += n;
    }
  }
}
