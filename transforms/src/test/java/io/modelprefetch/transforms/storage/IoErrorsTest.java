package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A local I/O failure in one line: the path, the reason and what to do. */
class IoErrorsTest {

  private static final Path LOCK = Path.of("/models/m/.prefetch/lock");

  @Test
  void eachCommonFailureSaysWhatToDo() {
    assertEquals(
        "cannot take the lock /models/m/.prefetch/lock: Read-only file system; the file system is mounted"
            + " read-only: remount it read-write or choose another --local-dir",
        IoErrors.describe(
            "take the lock",
            LOCK,
            new FileSystemException("/models/m/.prefetch", null, "Read-only file system")));
    assertEquals(
        "cannot take the lock /models/m/.prefetch/lock: permission denied; give this user write access to the"
            + " folder, or choose another --local-dir",
        IoErrors.describe("take the lock", LOCK, new AccessDeniedException("/models/m/.prefetch")));
    assertEquals(
        "cannot write /models/m/w.bin: No space left on device; free space on its file system (or raise the"
            + " quota) and run again",
        IoErrors.describe(
            "write", Path.of("/models/m/w.bin"), new IOException("No space left on device")));
    assertEquals(
        "cannot commit /models/m/config.json: Is a directory; a folder is in the way: remove it or move it away",
        IoErrors.describe(
            "commit",
            Path.of("/models/m/config.json"),
            new FileSystemException(
                "/models/m/.prefetch/parts/x", "/models/m/config.json", "Is a directory")));
  }

  @Test
  void aPathWithAControlCharacterIsShownEscaped() {
    assertEquals(
        "cannot write /models/m/a\\nb: No space left on device; free space on its file system (or raise the"
            + " quota) and run again",
        IoErrors.describe(
            "write", Path.of("/models/m/a\nb"), new IOException("No space left on device")));
  }
}
