package io.modelprefetch.transforms.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Reads byte ranges of a file written by {@link RangeWriter} back, for digests that need them in
 * order.
 *
 * <p>With direct I/O the reads bypass the page cache too ({@code O_DIRECT}, aligned to the block
 * size the writes used): the bytes were written past it, so a buffered read would fill cache pages
 * from the disk only to drop them, which costs a loaded node more kernel CPU than the read itself.
 * A range that does not start or end on a block boundary is read from the blocks around it; on a
 * file system without direct I/O the reads are buffered.
 */
public final class ReadBack implements Closeable {

  private static final int BUFFER_BYTES = 256 << 10;

  private final FileChannel channel;
  private final int alignment; // 0: buffered
  private final ByteBuffer buffer;

  private ReadBack(FileChannel channel, int alignment, ByteBuffer buffer) {
    this.channel = channel;
    this.alignment = alignment;
    this.buffer = buffer;
  }

  /** Opens {@code file} for reading, past the page cache when {@code directIo} and it can be. */
  public static ReadBack open(Path file, boolean directIo) throws IOException {
    Path dir = Objects.requireNonNull(file.toAbsolutePath().getParent(), "a file has a folder");
    int alignment = directIo ? RangeWriter.alignment(dir) : 0;
    if (alignment > 0) {
      try {
        FileChannel direct =
            FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
        return new ReadBack(direct, alignment, RangeWriter.alignedBuffer(BUFFER_BYTES, alignment));
      } catch (UnsupportedOperationException | IOException e) {
        // a file system that refuses O_DIRECT after all: buffered, as its writes were
      }
    }
    return new ReadBack(
        FileChannel.open(file, StandardOpenOption.READ), 0, ByteBuffer.allocate(BUFFER_BYTES));
  }

  /**
   * Hands the bytes from {@code first} up to {@code end} (exclusive) to {@code sink}, in order, a
   * buffer at a time; each buffer is valid only during its call.
   *
   * @throws IOException if the file ends before {@code end}, or a read fails
   */
  public void read(long first, long end, Consumer<ByteBuffer> sink) throws IOException {
    long position = first;
    while (position < end) {
      long from = alignment > 0 ? position - position % alignment : position;
      long length = Math.min(BUFFER_BYTES, end - from);
      if (alignment > 0) {
        length = Math.min(BUFFER_BYTES, (length + alignment - 1) / alignment * alignment);
      }
      buffer.clear().limit((int) length);
      int n = channel.read(buffer, from);
      int skip = (int) (position - from);
      if (n <= skip) {
        throw new IOException(
            "the file ends at byte " + (n < 0 ? from : from + n) + ", before " + end);
      }
      int usable = (int) Math.min(n - skip, end - position);
      buffer.position(skip).limit(skip + usable);
      sink.accept(buffer);
      position += usable;
    }
  }

  /** Whether the reads bypass the page cache. */
  public boolean direct() {
    return alignment > 0;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
