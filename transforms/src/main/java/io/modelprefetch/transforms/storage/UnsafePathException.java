package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.jspecify.annotations.Nullable;

/**
 * A symbolic link, or a file or folder of the wrong kind, where model-prefetch would write below
 * {@code --local-dir}. Its message is one line naming the path, what is there and what to do.
 */
public final class UnsafePathException extends FileSystemException {

  private UnsafePathException(String message) {
    super(message);
  }

  @Override
  public String getMessage() {
    return getFile();
  }

  /**
   * What is wrong at {@code path}, or null when nothing is: a link (never followed), a file where a
   * folder is needed, or (when {@code fileExpected}) a folder where a file is needed. Looks at
   * {@code path} only, without following it.
   */
  public static @Nullable UnsafePathException at(Path path, boolean fileExpected) {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
    String shown = Printable.escape(path.toString());
    if (attributes.isSymbolicLink()) {
      return new UnsafePathException(
          shown
              + " is a symbolic link"
              + linkTarget(path)
              + "; model-prefetch writes nothing through links below --local-dir: remove the link");
    }
    if (!fileExpected && !attributes.isDirectory()) {
      return new UnsafePathException(shown + " is a file, not a folder; remove it or move it away");
    }
    if (fileExpected && attributes.isDirectory()) {
      return new UnsafePathException(shown + " is a folder, not a file; remove it or move it away");
    }
    return null;
  }

  private static String linkTarget(Path link) {
    try {
      return " to " + Printable.escape(Files.readSymbolicLink(link).toString());
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }
}
