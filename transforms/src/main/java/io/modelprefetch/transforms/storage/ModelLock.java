package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One writer per model folder: an OS file lock on {@code <model>/.prefetch/lock}, held by the
 * launching process for the whole run. The OS releases it when the process dies, so a lock of a
 * killed run never needs cleaning up. Runs inside one JVM exclude each other too.
 *
 * <p>On a local file system this excludes every other process. On NFSv4, CephFS and Lustre the lock
 * is honoured across clients; on file systems without working {@code fcntl} locks (some NFSv3
 * mounts without lockd) it is not, and concurrent runs there must be avoided by scheduling.
 */
public final class ModelLock implements AutoCloseable {

  private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private ModelLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  private static final String LOCK = "lock";

  public static Path file(Path modelDir) {
    return modelDir.resolve(CompletionMarker.FOLDER).resolve(LOCK);
  }

  /**
   * Takes the lock if it is free; empty when another run holds it. The model folder and {@code
   * .prefetch/} are created when missing and opened without following links, and a link at the
   * lock's name fails the open ({@link SafeFolder}): a planted link never makes a run write the
   * file it points to.
   *
   * @throws IOException one line naming the path and what is wrong ({@link IoErrors}): a link or a
   *     file where a folder belongs, a folder at the lock's name, a read-only folder
   */
  public static Optional<ModelLock> tryAcquire(Path modelDir) throws IOException {
    Path file = file(modelDir).toAbsolutePath().normalize();
    if (!HELD_IN_THIS_JVM.add(file)) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      try (SafeFolder folder = SafeFolder.open(modelDir, CompletionMarker.FOLDER, true)) {
        channel =
            folder.channel(
                LOCK, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      }
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // this JVM holds it through another path (a link above --local-dir)
      }
      if (lock == null) {
        channel.close();
        HELD_IN_THIS_JVM.remove(file);
        return Optional.empty();
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(describeThisProcess().getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
      return Optional.of(new ModelLock(file, channel, lock));
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      HELD_IN_THIS_JVM.remove(file);
      if (e instanceof IOException io && !(e instanceof LockException)) {
        throw new LockException(IoErrors.describe("take the lock", file, io), io);
      }
      throw e;
    }
  }

  /** The lock could not be taken for a reason other than another run holding it. */
  public static final class LockException extends IOException {
    LockException(String message, IOException cause) {
      super(message);
      addSuppressed(cause);
    }
  }

  /**
   * Waits up to {@code timeout} for the lock, trying every {@code poll}; empty when the time ran
   * out.
   */
  public static Optional<ModelLock> acquire(Path modelDir, Duration timeout, Duration poll)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Optional<ModelLock> lock = tryAcquire(modelDir);
      if (lock.isPresent() || !Instant.now().isBefore(deadline)) {
        return lock;
      }
      Thread.sleep(poll.toMillis());
    }
  }

  /** Who holds the lock of {@code modelDir}, as it recorded itself; "unknown" when unreadable. */
  public static String holder(Path modelDir) {
    try (SafeFolder folder = SafeFolder.open(modelDir, CompletionMarker.FOLDER, false)) {
      String s = folder.readString(LOCK);
      return s == null || s.isBlank() ? "unknown" : Printable.oneLine(s.strip());
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String describeThisProcess() {
    return "pid "
        + ProcessHandle.current().pid()
        + " ("
        + ManagementFactory.getRuntimeMXBean().getName()
        + "), since "
        + Instant.now();
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD_IN_THIS_JVM.remove(file);
    }
  }
}
