package io.modelprefetch.transforms.plan;

import io.modelprefetch.transforms.text.Printable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Maps object keys to safe paths under a model directory.
 *
 * <p>A key that would leave the model directory ({@code ..} segments, absolute paths, NUL bytes),
 * land in the tool's own bookkeeping folders, or cannot be a file name (a name over 255 bytes; a
 * non-ASCII name where the JVM cannot name files in UTF-8) is refused, never written. Keys are
 * quoted in refusals with {@link Printable#escape}.
 */
public final class DestinationPaths {

  /** The AIBrix sidecar folder, {@code <model>/.cache/<s3|tos>/download/}. */
  public static final String CACHE_DIR = ".cache";

  /** Folders of the tool's own: the AIBrix sidecars and the lock and completion marker. */
  private static final java.util.List<String> RESERVED = java.util.List.of(CACHE_DIR, ".prefetch");

  private DestinationPaths() {}

  /**
   * The character set this JVM writes file names in ({@code sun.jnu.encoding}): set from the
   * process's locale at start-up (a {@code -D} flag cannot change it), ASCII in a POSIX/C locale.
   */
  public static final String FILE_NAME_ENCODING = System.getProperty("sun.jnu.encoding", "UTF-8");

  /** The longest file or folder name, in bytes, that Linux file systems take (NAME_MAX). */
  public static final int NAME_MAX_BYTES = 255;

  /**
   * The path of {@code key} relative to the listing {@code prefix}, or a reason why it is refused.
   *
   * @param prefix the listing prefix (empty or ending with {@code /}), or the full key of a single
   *     object, in which case the relative path is the key's file name
   */
  public static Mapping relativePath(String prefix, String key, boolean singleObject) {
    return relativePath(prefix, key, singleObject, FILE_NAME_ENCODING);
  }

  /**
   * As {@link #relativePath(String, String, boolean)} for a JVM whose file names are in {@code
   * fileNameEncoding}: where that is not UTF-8, a key with non-ASCII characters is refused, since
   * its file would be named in other bytes than every other tool's (or not at all).
   */
  static Mapping relativePath(
      String prefix, String key, boolean singleObject, String fileNameEncoding) {
    String relative;
    if (singleObject) {
      relative = key.substring(key.lastIndexOf('/') + 1);
    } else if (key.startsWith(prefix)) {
      relative = key.substring(prefix.length());
    } else {
      return Mapping.refused(
          "key '" + shown(key) + "' is outside the prefix '" + shown(prefix) + "'");
    }
    return check(key, relative, fileNameEncoding);
  }

  private static String shown(String key) {
    return Printable.escape(key);
  }

  private static Mapping check(String key, String relative, String fileNameEncoding) {
    if (relative.isEmpty()) {
      return Mapping.refused("key '" + shown(key) + "' has no file name below its prefix");
    }
    if (relative.indexOf('\0') >= 0) {
      return Mapping.refused("key '" + shown(key) + "' contains a NUL byte");
    }
    if (relative.startsWith("/")) {
      return Mapping.refused("key '" + shown(key) + "' would be written to an absolute path");
    }
    for (String segment : relative.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        return Mapping.refused(
            "key '"
                + shown(key)
                + "' contains a '"
                + segment
                + "' segment that would escape the model directory");
      }
      if (segment.isEmpty()) {
        return Mapping.refused("key '" + shown(key) + "' contains an empty path segment");
      }
      int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > NAME_MAX_BYTES) {
        return Mapping.refused(
            "key '"
                + shown(key)
                + "' has a name of "
                + bytes
                + " bytes; file systems take at most "
                + NAME_MAX_BYTES
                + " bytes per name");
      }
    }
    for (String reserved : RESERVED) {
      if (relative.equals(reserved) || relative.startsWith(reserved + "/")) {
        return Mapping.refused(
            "key '"
                + shown(key)
                + "' would overwrite the download bookkeeping in "
                + reserved
                + "/");
      }
    }
    if (!isUtf8(fileNameEncoding) && !isAscii(relative)) {
      return Mapping.refused(
          "key '"
              + shown(key)
              + "' cannot be written as a UTF-8 file name: this JVM names files in "
              + fileNameEncoding
              + " because its locale is not UTF-8; run it with LC_ALL=C.UTF-8 (the ./prefetch launcher"
              + " sets it)");
    }
    return new Mapping(relative, null);
  }

  private static boolean isUtf8(String encoding) {
    String e = encoding.toUpperCase(java.util.Locale.ROOT).replace("-", "").replace("_", "");
    return e.equals("UTF8");
  }

  private static boolean isAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * Resolves {@code relative} under {@code modelDir}, re-checking containment after normalisation.
   */
  public static Path resolve(Path modelDir, String relative) {
    Path root = modelDir.toAbsolutePath().normalize();
    Path target = root.resolve(relative).normalize();
    if (!target.startsWith(root) || target.equals(root)) {
      throw new IllegalArgumentException("relative path '" + relative + "' escapes " + root);
    }
    return target;
  }

  /** Either a relative path or the reason the key was refused. */
  public record Mapping(@Nullable String relativePath, @Nullable String refusal) {
    static Mapping refused(String why) {
      return new Mapping(null, why);
    }

    public Optional<String> path() {
      return Optional.ofNullable(relativePath);
    }
  }
}
