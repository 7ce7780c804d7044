package io.modelprefetch.transforms.plan;

import java.io.Serializable;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Locale;

/**
 * Which relative paths of a model to fetch: include and exclude globs and allowed file suffixes.
 *
 * <p>A glob without {@code /} matches the file name at any depth ({@code *.json} matches {@code
 * a/b/config.json}); a glob with {@code /} matches the whole relative path, where {@code **}
 * crosses folders and a leading {@code **}{@code /} also matches at the top level. A path is fetched when it matches some include glob (or there are none),
 * matches no exclude glob, and ends with an allowed suffix (or there are none).
 */
public record Filters(List<String> include, List<String> exclude, List<String> allowSuffixes)
    implements Serializable {

  public static final Filters NONE = new Filters(List.of(), List.of(), List.of());

  public Filters {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    allowSuffixes = allowSuffixes.stream().map(Filters::normalizeSuffix).toList();
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

  /** True when {@code relativePath} should be fetched. */
  public boolean accepts(String relativePath) {
    if (!include.isEmpty() && include.stream().noneMatch(g -> matches(g, relativePath))) {
      return false;
    }
    if (exclude.stream().anyMatch(g -> matches(g, relativePath))) {
      return false;
    }
    String lower = relativePath.toLowerCase(Locale.ROOT);
    return allowSuffixes.isEmpty() || allowSuffixes.stream().anyMatch(lower::endsWith);
  }

  private static boolean matches(String glob, String relativePath) {
    String subject =
        glob.contains("/") ? relativePath : relativePath.substring(relativePath.lastIndexOf('/') + 1);
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
      throw new IllegalArgumentException("invalid glob '" + glob + "': " + e.getDescription() + " near index " + e.getIndex(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid glob '" + glob + "'", e);
    }
  }

  private static String normalizeSuffix(String suffix) {
    String s = suffix.strip().toLowerCase(Locale.ROOT);
    if (s.isEmpty()) {
      throw new IllegalArgumentException("an allowed file suffix is empty");
    }
    return s.startsWith(".") ? s : "." + s;
  }

  @Override
  public String toString() {
    return "include=" + include + ", exclude=" + exclude + ", allowSuffixes=" + allowSuffixes;
  }
}
