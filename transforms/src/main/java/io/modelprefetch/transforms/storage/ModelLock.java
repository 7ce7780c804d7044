package io.modelprefetch.transforms.storage;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * <p>On a local file system this excludes every other process. On NFSv4, CephFS and Lustre the
 * lock is honoured across clients; on file systems without working {@code fcntl} locks (some NFSv3
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

  public static Path file(Path modelDir) {
    return modelDir.resolve(CompletionMarker.FOLDER).resolve("lock");
  }

  /** Takes the lock if it is free; empty when another run holds it. */
  public static Optional<ModelLock> tryAcquire(Path modelDir) throws IOException {
    Path file = file(modelDir).toAbsolutePath().normalize();
    Files.createDirectories(file.getParent());
    if (!HELD_IN_THIS_JVM.add(file)) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
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
      throw e;
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
    try {
      String s = Files.readString(file(modelDir), StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "unknown" : s;
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String describeThisProcess() {
    return "pid " + ProcessHandle.current().pid() + " (" + ManagementFactory.getRuntimeMXBean().getName()
        + "), since " + Instant.now();
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
