package io.modelprefetch.runners;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Refuses a run, before anything is written, whose bytes still to fetch exceed {@code --max-bytes}
 * or the usable space where the models land. Files are written in place into a temporary file of
 * the object's size, so a file needs its size once.
 */
final class SpaceCheck {

  private SpaceCheck() {}

  /**
   * The usable bytes of the file store holding {@code folder}: {@link java.io.File#getUsableSpace}.
   */
  static final ToLongFunction<Path> USABLE_SPACE = folder -> folder.toFile().getUsableSpace();

  /**
   * @param maxBytes {@code --max-bytes}, or null for no limit
   * @param usableSpace the usable bytes of an existing folder's file store
   * @param localDestination whether the model folders are this machine's to measure (not a
   *     cluster's)
   * @throws UsageException one line naming both sizes
   */
  static void check(
      ListingPlan plan,
      @Nullable Long maxBytes,
      ToLongFunction<Path> usableSpace,
      boolean localDestination) {
    long toFetch = plan.bytesToFetch();
    if (maxBytes != null && toFetch > maxBytes) {
      throw new UsageException(
          "the models need "
              + size(toFetch)
              + " still to fetch, more than --max-bytes "
              + size(maxBytes)
              + "; raise --max-bytes, narrow the files with --include/--exclude, or fetch fewer models");
    }
    if (!localDestination) {
      return;
    }
    Map<Path, Long> needByFolder = new LinkedHashMap<>();
    for (ListingPlan.ModelPlan model : plan.models()) {
      Path existing = firstExisting(Path.of(model.model().modelDir()).toAbsolutePath());
      if (existing != null) {
        needByFolder.merge(existing, model.bytesToFetch(), Long::sum);
      }
    }
    for (Map.Entry<Path, Long> need : needByFolder.entrySet()) {
      long usable = usableSpace.applyAsLong(need.getKey());
      if (need.getValue() > usable) {
        throw new UsageException(
            "the models need "
                + size(need.getValue())
                + " still to fetch into "
                + need.getKey()
                + ", but its file system has only "
                + size(usable)
                + " usable; free some space or choose another --local-dir");
      }
    }
  }

  private static @Nullable Path firstExisting(Path path) {
    Path p = path;
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    return p;
  }

  private static String size(long bytes) {
    return PrefetchRun.bytes(bytes) + " (" + bytes + " bytes)";
  }
}
