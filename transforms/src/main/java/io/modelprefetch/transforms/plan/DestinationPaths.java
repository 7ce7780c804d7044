package io.modelprefetch.transforms.plan;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Maps object keys to safe paths under a model directory.
 *
 * <p>A key that would leave the model directory ({@code ..} segments, absolute paths, NUL bytes)
 * or land in the tool's own bookkeeping folders is refused, never written.
 */
public final class DestinationPaths {

  /** The AIBrix sidecar folder, {@code <model>/.cache/<s3|tos>/download/}. */
  public static final String CACHE_DIR = ".cache";

  /** Folders of the tool's own: the AIBrix sidecars and the lock and completion marker. */
  private static final java.util.List<String> RESERVED = java.util.List.of(CACHE_DIR, ".prefetch");

  private DestinationPaths() {}

  /**
   * The path of {@code key} relative to the listing {@code prefix}, or a reason why it is refused.
   *
   * @param prefix the listing prefix (empty or ending with {@code /}), or the full key of a single
   *     object, in which case the relative path is the key's file name
   */
  public static Mapping relativePath(String prefix, String key, boolean singleObject) {
    String relative;
    if (singleObject) {
      relative = key.substring(key.lastIndexOf('/') + 1);
    } else if (key.startsWith(prefix)) {
      relative = key.substring(prefix.length());
    } else {
      return Mapping.refused("key '" + key + "' is outside the prefix '" + prefix + "'");
    }
    return check(key, relative);
  }

  private static Mapping check(String key, String relative) {
    if (relative.isEmpty()) {
      return Mapping.refused("key '" + key + "' has no file name below its prefix");
    }
    if (relative.indexOf('\0') >= 0) {
      return Mapping.refused("key '" + key + "' contains a NUL byte");
    }
    if (relative.startsWith("/")) {
      return Mapping.refused("key '" + key + "' would be written to an absolute path");
    }
    for (String segment : relative.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        return Mapping.refused("key '" + key + "' contains a '" + segment + "' segment that would escape the model directory");
      }
      if (segment.isEmpty()) {
        return Mapping.refused("key '" + key + "' contains an empty path segment");
      }
    }
    for (String reserved : RESERVED) {
      if (relative.equals(reserved) || relative.startsWith(reserved + "/")) {
        return Mapping.refused("key '" + key + "' would overwrite the download bookkeeping in " + reserved + "/");
      }
    }
    return new Mapping(relative, null);
  }

  /**
   * Resolves {@code relative} under {@code modelDir}, re-checking containment after
   * normalisation.
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
  public record Mapping(String relativePath, String refusal) {
    static Mapping refused(String why) {
      return new Mapping(null, why);
    }

    public Optional<String> path() {
      return Optional.ofNullable(relativePath);
    }
  }
}
