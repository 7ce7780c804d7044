package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.storage.RangeWriter;
import io.modelprefetch.transforms.storage.ReadBack;
import io.modelprefetch.transforms.verify.Digests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The whole-object digests (MD5, SHA-256, SHA-1: see {@code DigestPlan#wholeDigests}) of objects
 * fetched in several ranges, computed as the download goes. A digest runs in byte order. The range
 * that is next in order when its fetch starts feeds the digests as its bytes pass ({@link #claim});
 * a range that lands out of order waits, and the thread that completes the one before it reads it
 * back from the file and goes on with the ranges after it that have landed. The range that
 * completes the digests carries them, so the commit step has nothing to read again. The fetch
 * executor starts ranges lowest index first, so a file's ranges are next in order when they start
 * only while there are about as many files in flight as ranges; with more ranges than files, most
 * would land out of order. Such a range takes the digests over midway instead, the moment the one
 * before it completes ({@link Waiting#claim}): it digests what it already wrote from the file and
 * feeds the rest as it passes, so only the part of a range written before its turn is read back,
 * and by the range's own thread. Only ranges that complete before their turn wait to be read back
 * whole (the end of a run logs how many bytes were read back). Used where all ranges of an object
 * are fetched in this JVM.
 *
 * <p>One per {@link FetchRuntime}: what it holds lives and ends with the runtime.
 */
public final class InOrderDigests {

  private final boolean directIo;
  private final Map<String, Digest> objects = new ConcurrentHashMap<>();
  private final LongAdder streamedBytes = new LongAdder();
  private final LongAdder readBackBytes = new LongAdder();

  /**
   * @param directIo whether ranges are written with direct I/O ({@link FetchSettings#directIo}),
   *     and so read back past the page cache too ({@link ReadBack})
   */
  public InOrderDigests(boolean directIo) {
    this.directIo = directIo;
  }

  /** One object's digests and how far they got. */
  private static final class Digest {
    private final Map<String, MessageDigest> digests = new LinkedHashMap<>();
    private final TreeMap<Integer, RangeTask> landed = new TreeMap<>(); // guarded by this
    private int next; // guarded by this
    private boolean draining; // guarded by this

    Digest(List<String> names) {
      names.forEach(name -> digests.put(name, Digests.get(name)));
    }

    void update(byte[] bytes, int offset, int length) {
      for (MessageDigest d : digests.values()) {
        d.update(bytes, offset, length);
      }
    }

    void update(ByteBuffer buffer) {
      for (MessageDigest d : digests.values()) {
        d.update(buffer.duplicate());
      }
    }

    Map<String, String> finish() {
      Map<String, String> hex = new LinkedHashMap<>();
      digests.forEach((name, d) -> hex.put(name, HexFormat.of().formatHex(d.digest())));
      return hex;
    }
  }

  /**
   * Whether {@code task}'s object gets in-order digests: its plan asks for whole-object digests, it
   * comes in several ranges, and all its ranges stay in this JVM.
   */
  public static boolean appliesTo(RangeTask task, FetchSettings settings) {
    return settings.spreadBuckets() > 0
        && !task.isWholeObject()
        && !task.plan().wholeDigests().isEmpty();
  }

  private Digest digestOf(RangeTask task) {
    return objects.computeIfAbsent(key(task.object()), k -> new Digest(task.plan().wholeDigests()));
  }

  /**
   * Claims the object's digests for {@code task}'s bytes as they pass, when {@code task} is the
   * next range in order and no other thread is digesting the object: the bytes are then never read
   * back. The caller feeds every byte of the range to {@link Stream#update}, then hands the claim
   * to {@link #landed}, or gives it up with {@link Stream#abandon}.
   *
   * @return the claim, or null when the range is not next (it is read back once it is)
   */
  public @Nullable Stream claim(RangeTask task) {
    return take(key(task.object()), digestOf(task), task.index());
  }

  /**
   * Claims {@code digest} for range {@code index} when it is next in order, no thread is digesting
   * the object, and the digests were not dropped meanwhile ({@link #forget}).
   */
  private @Nullable Stream take(String key, Digest digest, int index) {
    synchronized (digest) {
      if (digest.draining || digest.next != index || objects.get(key) != digest) {
        return null;
      }
      digest.draining = true;
    }
    return new Stream(key, digest);
  }

  /**
   * The place of {@code task}, which was not next in order when it started ({@link #claim} gave
   * null), from which it takes the digests over midway once the ranges before it are digested.
   */
  public Waiting waiting(RangeTask task) {
    return new Waiting(task, digestOf(task));
  }

  /** A range in flight behind the one its object's digests wait for. */
  public final class Waiting {
    private final RangeTask task;
    private final String key;
    private final Digest digest;

    private Waiting(RangeTask task, Digest digest) {
      this.task = task;
      this.key = key(task.object());
      this.digest = digest;
    }

    /**
     * Claims the digests once this range is next in order and no thread is digesting the object:
     * the bytes {@code out} already wrote are digested (read back from the temporary file, then
     * those it still stages), and the caller feeds the rest to the claim as they pass, as for
     * {@link #claim}. Cheap while the range is not next: call it after each buffer.
     *
     * @return the claim, or null while the range is not next (or the digests were dropped: also
     *     when what it wrote cannot be read back, which leaves them to the commit step)
     */
    public @Nullable Stream claim(RangeWriter out) {
      Stream stream = take(key, digest, task.index());
      if (stream == null) {
        return null;
      }
      try (ReadBack file = ReadBack.open(LocalFiles.temporary(task.object()), directIo)) {
        out.writtenSoFar(file, stream::caughtUp);
      } catch (IOException e) {
        objects.remove(key, digest); // the commit step reads the file instead, as for landed
        return null;
      }
      return stream;
    }
  }

  /** A claim on an object's digests: the range's bytes are fed to them as they pass. */
  public final class Stream {
    private final String key;
    private final Digest digest;
    private long fed;
    private long caughtUp; // bytes written before a midway claim, digested from the file

    private Stream(String key, Digest digest) {
      this.key = key;
      this.digest = digest;
    }

    public void update(byte[] bytes, int offset, int length) {
      digest.update(bytes, offset, length);
      fed += length;
    }

    /** Digests bytes of the range that were written before the claim: read back, not streamed. */
    private void caughtUp(ByteBuffer bytes) {
      int length = bytes.remaining();
      digest.update(bytes);
      caughtUp += length;
      readBackBytes.add(length);
    }

    /** Counts the range's bytes as digested while they passed, once the range is complete. */
    private void counted() {
      streamedBytes.add(fed);
    }

    /**
     * Gives the claim up after a failed attempt. Before any byte was fed the digests are intact and
     * the range can claim them again; after, the object's digests are left to the commit step.
     */
    public void abandon() {
      if (fed == 0 && caughtUp == 0) {
        synchronized (digest) {
          digest.draining = false;
        }
      } else {
        objects.remove(key, digest);
      }
    }
  }

  /**
   * Records that {@code task}'s bytes are in the temporary file and digests what is now in order:
   * the ranges that landed out of order are read back from the file.
   *
   * @param streamed the claim whose bytes were fed while they passed, or null
   * @return the object's digests (hex, by JDK name) when this call completed them, else null
   */
  public @Nullable Map<String, String> landed(RangeTask task, @Nullable Stream streamed) {
    String key = key(task.object());
    Digest digest;
    if (streamed != null) {
      digest = streamed.digest;
      streamed.counted();
      synchronized (digest) {
        digest.next++; // digested; this thread goes on with what landed behind it
      }
    } else {
      digest = digestOf(task);
      synchronized (digest) {
        digest.landed.put(task.index(), task);
        if (digest.draining) {
          return null; // the thread digesting this object takes this range too
        }
        digest.draining = true;
      }
    }
    ReadBack file = null;
    try {
      while (true) {
        RangeTask inOrder;
        synchronized (digest) {
          inOrder = digest.landed.remove(digest.next);
          if (inOrder == null) {
            digest.draining = false;
            if (digest.next < task.count()) {
              return null;
            }
            objects.remove(key, digest);
            return digest.finish();
          }
        }
        if (file == null) {
          file = ReadBack.open(LocalFiles.temporary(task.object()), directIo);
        }
        file.read(inOrder.first(), inOrder.lastInclusive() + 1, digest::update);
        readBackBytes.add(inOrder.lengthBytes());
        synchronized (digest) {
          digest.next++;
        }
      }
    } catch (IOException e) {
      objects.remove(key, digest); // the commit step reads the file instead
      return null;
    } finally {
      closeQuietly(file);
    }
  }

  /**
   * Drops what was digested of {@code object}: its ranges are about to be fetched again, or it is
   * done.
   */
  public void forget(ObjectRef object) {
    objects.remove(key(object));
  }

  /**
   * How the whole-object digests got their bytes: as they passed, or read back from the temporary
   * files because their range landed out of order (each read-back byte is read twice); empty when
   * no object had in-order digests.
   */
  public String summary() {
    long streamed = streamedBytes.sum();
    long readBack = readBackBytes.sum();
    if (streamed + readBack == 0) {
      return "";
    }
    return String.format(
        "%d MiB digested as they arrived, %d MiB read back (%d%%)",
        streamed >> 20, readBack >> 20, Math.round(100.0 * readBack / (streamed + readBack)));
  }

  /** Objects with digests under way (for tests). */
  int tracked() {
    return objects.size();
  }

  private static String key(ObjectRef object) {
    return LocalFiles.temporary(object).toString();
  }

  private static void closeQuietly(@Nullable ReadBack file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        // read only
      }
    }
  }
}
