package io.modelprefetch.transforms.model;

import java.io.Serializable;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * Which objects of a model to fetch: include and exclude globs and allowed file suffixes.
 *
 * <p>A glob without {@code /} matches the file name at any depth ({@code *.json} matches {@code
 * a/b/config.json}); a glob with {@code /} matches the whole relative path, where {@code **}
 * crosses folders and a leading {@code **}{@code /} also matches at the top level. An object is
 * fetched when its relative path matches some include glob (or there are none), matches no exclude
 * glob, and its key ends with an allowed suffix (or there are none).
 *
 * <p>Suffixes are matched as the AIBrix downloader matches {@code DOWNLOADER_ALLOW_FILE_SUFFIX} and
 * {@code allow_file_suffix} ({@code BaseDownloader.download_directory} in {@code
 * aibrix/downloader/base.py}): a plain, case-sensitive {@code endswith} on the whole object key,
 * with nothing added. {@code json} keeps {@code config.json} but also a key ending in {@code
 * xjson}; {@code config.json} keeps {@code generation_config.json} too; an empty suffix keeps
 * everything. And as there, they apply only to the objects of a listing: a URI naming one object
 * fetches it whatever the suffixes say.
 */
public record Filters(List<String> include, List<String> exclude, List<String> allowSuffixes)
    implements Serializable {

  public static final Filters NONE = new Filters(List.of(), List.of(), List.of());

  public Filters {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    allowSuffixes = List.copyOf(allowSuffixes);
    for (String glob : include) {
      matcher(glob);
    }
    for (String glob : exclude) {
      matcher(glob);
    }
  }

  public boolean isEmpty() {
    return include.isEmpty() && exclude.isEmpty() && allowSuffixes.isEmpty();
  }

  /**
   * True when the object at {@code relativePath} of a listing at the bucket's root, whose key is
   * that path, should be fetched.
   */
  public boolean accepts(String relativePath) {
    return accepts(relativePath, relativePath, true);
  }

  /**
   * True when the object {@code objectKey}, landing at {@code relativePath}, should be fetched.
   *
   * @param listed whether it came from a prefix's listing; the suffixes apply only then
   */
  public boolean accepts(String objectKey, String relativePath, boolean listed) {
    if (!include.isEmpty() && include.stream().noneMatch(g -> matches(g, relativePath))) {
      return false;
    }
    if (exclude.stream().anyMatch(g -> matches(g, relativePath))) {
      return false;
    }
    return !listed
        || allowSuffixes.isEmpty()
        || allowSuffixes.stream().anyMatch(objectKey::endsWith);
  }

  private static boolean matches(String glob, String relativePath) {
    String subject =
        glob.contains("/")
            ? relativePath
            : relativePath.substring(relativePath.lastIndexOf('/') + 1);
    if (matcher(glob).matches(Path.of(subject))) {
      return true;
    }
    // "**/x" also matches x at the top level, as in gitignore and rclone.
    return glob.startsWith("**/") && matches(glob.substring(3), relativePath);
  }

  private static PathMatcher matcher(String glob) {
    try {
      return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "invalid glob '" + glob + "': " + e.getDescription() + " near index " + e.getIndex(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid glob '" + glob + "'", e);
    }
  }

  @Override
  public String toString() {
    // Quoted: an empty suffix (which keeps everything) must be visible.
    return "include="
        + include
        + ", exclude="
        + exclude
        + ", allowSuffixes="
        + allowSuffixes.stream().map(s -> "\"" + s + "\"").toList();
  }
}
