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
 * The MD5 of an object fetched in several ranges, computed right behind the download. An MD5 runs
 * in byte order, so as ranges land (in any order) the thread that finds the next range in order
 * digests it from the file, while the page cache still holds it, and goes on with the ranges after
 * it that have landed; the range that completes the digest carries the object's MD5. The commit
 * step then has nothing to read again. Used where all ranges of an object are fetched in this JVM.
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
   * Records that {@code task}'s bytes are in the temporary file and digests what is now in order.
   *
   * @return the object's MD5 (hex) when this call completed it, else null
   */
  static String landed(RangeTask task) {
    String key = LocalFiles.temporary(task.object()).toString();
    InOrderMd5 digest = OBJECTS.computeIfAbsent(key, k -> new InOrderMd5());
    synchronized (digest) {
      digest.landed.put(task.index(), task);
      if (digest.draining) {
        return null; // the thread digesting this object takes this range too
      }
      digest.draining = true;
    }
    try (FileChannel file = FileChannel.open(LocalFiles.temporary(task.object()), StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
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
        digest(file, inOrder, digest.md5, buffer);
        synchronized (digest) {
          digest.next++;
        }
      }
    } catch (IOException e) {
      OBJECTS.remove(key, digest); // the commit step reads the file instead
      return null;
    }
  }

  /** Drops what was digested of {@code object}: its ranges are about to be fetched again. */
  static void forget(ObjectRef object) {
    OBJECTS.remove(LocalFiles.temporary(object).toString());
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
