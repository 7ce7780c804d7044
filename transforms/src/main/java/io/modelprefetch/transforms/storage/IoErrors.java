package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Local I/O failures in one line: what could not be done to which path, why in plain words, and
 * what to do ({@code cannot write /models/m/.prefetch/complete.json: No space left on device; free
 * space on its file system and run again}). Paths are shown with {@link Printable#escape}.
 */
public final class IoErrors {

  private IoErrors() {}

  /**
   * {@code cannot <action> <path>: <reason>; <fix>}, or the message of an {@link
   * UnsafePathException}.
   */
  public static String describe(String action, Path path, IOException e) {
    if (e instanceof UnsafePathException unsafe) {
      return unsafe.getMessage();
    }
    if (e instanceof LocalFiles.LocalWriteException write) {
      return write.getMessage();
    }
    String fix = fix(e);
    return "cannot "
        + action
        + " "
        + Printable.escape(path.toString())
        + ": "
        + reason(e)
        + (fix == null ? "" : "; " + fix);
  }

  /**
   * Why {@code e} happened, without the path: the system's reason ({@code No space left on
   * device}).
   */
  public static String reason(IOException e) {
    if (e instanceof UnsafePathException unsafe) {
      return unsafe.getMessage();
    }
    if (e instanceof FileSystemException fs) {
      if (fs.getReason() != null) {
        return Printable.oneLine(fs.getReason());
      }
      if (fs instanceof NoSuchFileException) {
        return "no such file or folder";
      }
      if (fs instanceof AccessDeniedException) {
        return "permission denied";
      }
      if (fs instanceof FileAlreadyExistsException) {
        return "something else is already at that name";
      }
      if (fs instanceof NotDirectoryException) {
        return "not a folder";
      }
      if (fs instanceof DirectoryNotEmptyException) {
        return "a folder that is not empty is in the way";
      }
      return fs.getClass().getSimpleName();
    }
    return e.getMessage() == null
        ? e.getClass().getSimpleName()
        : Printable.oneLine(e.getMessage());
  }

  /** What to do about {@code e}, or null when the reason says it all. */
  public static @Nullable String fix(IOException e) {
    String reason =
        String.valueOf(e instanceof FileSystemException fs ? fs.getReason() : e.getMessage())
            .toLowerCase(Locale.ROOT);
    if (reason.contains("no space left") || reason.contains("quota")) {
      return "free space on its file system (or raise the quota) and run again";
    }
    if (reason.contains("read-only file system")) {
      return "the file system is mounted read-only: remount it read-write or choose another --local-dir";
    }
    if (e instanceof AccessDeniedException
        || reason.contains("permission denied")
        || reason.contains("operation not permitted")) {
      return "give this user write access to the folder, or choose another --local-dir";
    }
    if (reason.contains("is a directory") || e instanceof DirectoryNotEmptyException) {
      return "a folder is in the way: remove it or move it away";
    }
    if (e instanceof NotDirectoryException || reason.contains("not a directory")) {
      return "a file is in the way: remove it or move it away";
    }
    if (reason.contains("file name too long")) {
      return "the name is longer than the file system allows (255 bytes per name)";
    }
    return null;
  }
}
