package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.IoErrors;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Decides, per listed object, whether it must be fetched and how: already present (same size and
 * ETag), refused (a link on the way, no space), or its ranges, with those a killed run already
 * wrote and journaled marked to be read back ({@link RangeTask#local}). Before the first object of
 * a model that changes, the model's completion marker is removed: it is no longer complete until
 * this run says so. One planner per planning step instance; not thread-safe.
 */
public final class Planner {

  /** What planning one object came to. */
  public sealed interface Planned permits Present, Refused, Ranges {}

  /** Already in place: {@code result} reports it. */
  public record Present(FileResult result) implements Planned {}

  /** Not to be fetched: {@code result} says why. */
  public record Refused(FileResult result) implements Planned {}

  /**
   * To fetch: every range of the object, {@code resumed} of them read back from a killed run's
   * file.
   */
  public record Ranges(List<RangeTask> tasks, int resumed, long resumedBytes) implements Planned {}

  private final FetchRuntime runtime;
  private final Set<String> invalidatedModels = new HashSet<>();

  public Planner(FetchRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * Plans {@code object}, asking {@code s3} what the store keeps of it where its plan needs that.
   */
  public Planned plan(S3Client s3, ObjectRef object) {
    ProgressListener progress = runtime.progress();
    String unsafe = LocalFiles.unsafe(object);
    if (unsafe != null) { // a link on the way: nothing is fetched or written for this file
      return refused(object, "refused: " + unsafe);
    }
    if (!runtime.settings().forceDownload() && LocalFiles.isPresent(object)) {
      progress.present(object);
      return new Present(FileResult.present(object));
    }
    if (invalidatedModels.add(object.model().modelDir())) {
      CompletionMarker.invalidate(object.model());
    }
    List<RangeTask> tasks =
        ObjectPlans.tasks(
            object, runtime.settings(), ObjectPlans.plan(s3, object, runtime.settings()));
    BasicFileAttributes leftover =
        leftover(object); // one stat serves the resume and the preparation
    List<RangeTask> resumed = resumable(object, tasks, leftover);
    if (resumed.isEmpty()) {
      String problem = prepare(object, tasks.size(), leftover != null);
      if (problem != null) {
        return refused(object, problem);
      }
    }
    Map<Integer, RangeTask> written = new HashMap<>();
    resumed.forEach(task -> written.put(task.index(), task));
    long resumedBytes = resumed.stream().mapToLong(RangeTask::lengthBytes).sum();
    progress.resumed(object.model(), resumedBytes);
    List<RangeTask> all = new ArrayList<>(tasks.size());
    for (RangeTask task : tasks) {
      all.add(written.getOrDefault(task.index(), task));
    }
    return new Ranges(all, resumed.size(), resumedBytes);
  }

  private Refused refused(ObjectRef object, String error) {
    runtime.progress().fileDone(object.model(), true);
    return new Refused(FileResult.objectFailure(object, 0, 0, error));
  }

  /**
   * What a killed run left at the object's temporary path (the entry itself: a link is not
   * followed), or null when nothing is there.
   */
  private static @Nullable BasicFileAttributes leftover(ObjectRef object) {
    try {
      return Files.readAttributes(
          LocalFiles.temporary(object), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The journaled ranges of a leftover that is this run's kind of file: a regular file of the
   * object's size with one name (a hard link elsewhere is never written into).
   */
  private static List<RangeTask> resumable(
      ObjectRef object, List<RangeTask> tasks, @Nullable BasicFileAttributes leftover) {
    if (leftover == null
        || !leftover.isRegularFile()
        || leftover.size() != object.sizeBytes()
        || !singleLink(LocalFiles.temporary(object))) {
      return List.of();
    }
    return Journal.resumable(tasks);
  }

  private static boolean singleLink(Path file) {
    try {
      return ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue()
          == 1;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return true; // a file system without link counts has no hard links to fear
    }
  }

  /**
   * Creates the temporary file of an object of {@code ranges} ranges, unless its fetch creates it
   * ({@link LocalFiles#createdByFetch}) and no killed run left one behind ({@code leftover});
   * returns why it could not, or null.
   */
  private static @Nullable String prepare(ObjectRef object, int ranges, boolean leftover) {
    Path temporary = LocalFiles.temporary(object);
    try {
      Journal.clear(object);
      LocalFiles.partsFolder(object.model(), true).close();
      // File.getUsableSpace is one statvfs; Files.getFileStore re-reads the mount table each call.
      long free =
          Objects.requireNonNull(temporary.getParent(), "in the parts folder")
              .toFile()
              .getUsableSpace();
      if (free < object.sizeBytes()) {
        return "not enough space in "
            + Printable.escape(object.model().modelDir())
            + ": the file needs "
            + object.sizeBytes()
            + " bytes, "
            + free
            + " are free; free space on its file system and run again";
      }
      if (!LocalFiles.createdByFetch(object, ranges) || leftover) {
        LocalFiles.prepare(object);
      }
      return null;
    } catch (IOException e) {
      LocalFiles.discard(object);
      return IoErrors.describe("create", temporary, e);
    }
  }
}
