package io.modelprefetch.transforms.storage;

import com.sun.nio.file.ExtendedOpenOption;
import io.modelprefetch.transforms.model.RangeTask;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Writes one range's bytes, in order, at their place in the object's temporary file.
 *
 * <p>With direct I/O the bytes are staged in an aligned native buffer and written with {@code
 * O_DIRECT}, past the page cache: the kernel does not copy them into cache pages, which is where a
 * large buffered download spends most of its CPU once the dirty-page limit is reached, and the
 * node's page cache is left to what it holds. Only a range that starts on a block boundary and is
 * large enough takes that path; its unaligned tail (the end of the object) is written buffered.
 * Only local block file systems ({@link #DIRECT_FILE_SYSTEMS}) take it; one that refuses {@code
 * O_DIRECT} after all gets buffered writes, remembered per directory.
 */
public final class RangeWriter implements Closeable {

  /** Ranges smaller than this are written buffered: the page cache costs them little. */
  public static final long DIRECT_MIN_BYTES = 8L << 20;

  private static final int STAGING_BYTES = 1 << 20;
  private static final int STAGING_ALIGNMENT = 4096;
  private static final ThreadLocal<ByteBuffer> STAGING =
      ThreadLocal.withInitial(() -> alignedBuffer(STAGING_BYTES, STAGING_ALIGNMENT));

  /** A native buffer of {@code bytes} whose first byte is on an {@code alignment} boundary. */
  static ByteBuffer alignedBuffer(int bytes, int alignment) {
    return ByteBuffer.allocateDirect(bytes + alignment)
        .alignedSlice(alignment)
        .limit(bytes)
        .slice();
  }

  /**
   * The local file systems direct I/O is used on. On a network file system (NFS, a FUSE mount) an
   * {@code O_DIRECT} write is a synchronous round trip of its own, so shared mounts keep the page
   * cache.
   */
  static final Set<String> DIRECT_FILE_SYSTEMS = Set.of("ext4", "xfs", "btrfs");

  /**
   * Per directory: the block size direct writes align to, or 0 where the file system refuses them.
   */
  private static final Map<Path, Integer> ALIGNMENT = new ConcurrentHashMap<>();

  private final Path file;
  private final FileChannel channel;
  private @Nullable FileChannel direct; // null: buffered
  private final @Nullable ByteBuffer staging;
  private final int alignment;
  private final long first; // the range's first byte
  private long position; // where the next byte goes

  private RangeWriter(
      Path file, FileChannel channel, @Nullable FileChannel direct, int alignment, long position) {
    this.file = file;
    this.channel = channel;
    this.direct = direct;
    this.alignment = alignment;
    this.staging = direct == null ? null : STAGING.get().clear();
    this.first = position;
    this.position = position;
  }

  /**
   * Opens {@code task}'s range of its object's temporary file, with direct I/O when asked and
   * possible.
   */
  public static RangeWriter open(RangeTask task, boolean directIo)
      throws LocalFiles.LocalWriteException {
    Path file = LocalFiles.temporary(task.object());
    boolean create = LocalFiles.createdByFetch(task.object(), task.count());
    // Both channels are opened in the parts folder without following links (SafeFolder).
    try (SafeFolder parts = LocalFiles.partsFolder(task.object().model(), create)) {
      String name = LocalFiles.temporaryName(task.object());
      FileChannel channel =
          create
              ? parts.channel(name, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
              : parts.channel(name, StandardOpenOption.WRITE);
      int alignment =
          directIo && task.lengthBytes() >= DIRECT_MIN_BYTES
              ? alignment(Objects.requireNonNull(file.getParent(), "in the parts folder"))
              : 0;
      FileChannel direct = null;
      if (alignment > 0 && task.first() % alignment == 0) {
        try {
          direct = parts.channel(name, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
          ALIGNMENT.put(file.getParent(), 0);
        }
      }
      return new RangeWriter(file, channel, direct, alignment, task.first());
    } catch (LocalFiles.LocalWriteException e) {
      throw e;
    } catch (IOException e) {
      throw new LocalFiles.LocalWriteException(file, e);
    }
  }

  /** Whether this range's bytes bypass the page cache. */
  public boolean isDirect() {
    return direct != null;
  }

  /**
   * Hands every byte written so far to {@code sink}, in order: those in the file (read back through
   * {@code file}), then those still staged for the next direct write. Each buffer is valid only
   * during its call.
   */
  public void writtenSoFar(ReadBack file, Consumer<ByteBuffer> sink) throws IOException {
    file.read(first, position, sink);
    if (staging != null && staging.position() > 0) {
      sink.accept(staging.duplicate().flip());
    }
  }

  /** Writes {@code bytes[offset..offset+length)} after the bytes written before. */
  public void write(byte[] bytes, int offset, int length) throws LocalFiles.LocalWriteException {
    if (direct == null) {
      writeBuffered(ByteBuffer.wrap(bytes, offset, length), position);
      position += length;
      return;
    }
    ByteBuffer buffer = Objects.requireNonNull(staging, "a direct writer stages its bytes");
    int off = offset;
    int left = length;
    while (left > 0) {
      int take = Math.min(left, buffer.remaining());
      buffer.put(bytes, off, take);
      off += take;
      left -= take;
      if (!buffer.hasRemaining()) {
        flushStaging(buffer.position());
        if (direct == null) { // the file system refused direct I/O: the rest goes buffered
          write(bytes, off, left);
          return;
        }
      }
    }
  }

  /** Writes what is still staged: the aligned part directly, the tail buffered. */
  public void finish() throws LocalFiles.LocalWriteException {
    if (staging != null && staging.position() > 0) {
      int staged = staging.position();
      int aligned = staged - staged % alignment;
      if (aligned > 0 && direct != null) {
        flushStaging(aligned);
      }
      if (staging.position() > 0) { // the tail, shorter than a block (or all of it, buffered)
        int tail = staging.position();
        staging.flip();
        writeBuffered(staging, position);
        position += tail;
        staging.clear();
      }
    }
  }

  /** Makes the written bytes durable. */
  public void force() throws LocalFiles.LocalWriteException {
    try {
      channel.force(false);
    } catch (IOException e) {
      throw new LocalFiles.LocalWriteException(file, e);
    }
  }

  @Override
  public void close() throws IOException {
    try (FileChannel c = channel;
        FileChannel d = direct) {
      // both closed
    }
  }

  /** Writes the first {@code bytes} staged, and keeps what follows them staged. */
  private void flushStaging(int bytes) throws LocalFiles.LocalWriteException {
    ByteBuffer buffer = Objects.requireNonNull(staging, "a direct writer stages its bytes");
    FileChannel to = Objects.requireNonNull(direct, "staged bytes are flushed while direct");
    int staged = buffer.position();
    buffer.flip().limit(bytes);
    try {
      long at = position;
      while (buffer.hasRemaining()) {
        at += to.write(buffer, at);
      }
    } catch (IOException e) {
      // A file system may accept O_DIRECT at open and refuse it on write; a buffered write then
      // decides. A full disk fails both, and leaves direct I/O on for later ranges.
      buffer.position(0).limit(bytes);
      writeBuffered(buffer, position);
      ALIGNMENT.put(file.getParent(), 0);
      closeQuietly(to);
      direct = null;
    }
    position += bytes;
    buffer.limit(staged).position(bytes);
    buffer.compact();
  }

  /** Writes all of {@code buffer} at {@code at} through the page cache. */
  private void writeBuffered(ByteBuffer buffer, long at) throws LocalFiles.LocalWriteException {
    long offset = at;
    try {
      while (buffer.hasRemaining()) {
        offset += channel.write(buffer, offset);
      }
    } catch (IOException e) {
      throw new LocalFiles.LocalWriteException(file, e);
    }
  }

  /** The block size direct writes in {@code dir} align to; 0 when they cannot be used. */
  static int alignment(Path dir) {
    return ALIGNMENT.computeIfAbsent(
        dir,
        d -> {
          try {
            FileStore store = Files.getFileStore(d);
            long block = store.getBlockSize();
            return DIRECT_FILE_SYSTEMS.contains(store.type())
                    && block > 0
                    && block <= STAGING_ALIGNMENT
                    && STAGING_BYTES % block == 0
                ? (int) block
                : 0;
          } catch (IOException | UnsupportedOperationException e) {
            return 0;
          }
        });
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // the bytes go through the buffered channel instead
    }
  }
}
