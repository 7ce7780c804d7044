package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.engine.ObjectPlans;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.text.Printable;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.IoErrors;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.verify.DigestPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Decides, per object, whether it must be fetched and how. An object already present with the
 * same size and ETag is reported as present. Any other gets its temporary file, its {@link
 * DigestPlan} (what its ranges compute, from what the store keeps) and is cut into ranges (aligned
 * to its upload parts when the plan digests them), emitted under {@link #RANGES} and redistributed
 * across workers. Ranges a killed run already wrote and journaled are emitted as {@link
 * RangeTask#local} ranges: read back from the file for their digests, not fetched again.
 */
public final class PlanRanges extends PTransform<PCollection<ObjectRef>, PCollectionTuple> {

  public static final TupleTag<RangeTask> RANGES = new TupleTag<>("ranges") {};

  private final FetchSettings settings;

  private PlanRanges(FetchSettings settings) {
    this.settings = settings;
  }

  public static PlanRanges with(FetchSettings settings) {
    return new PlanRanges(settings);
  }

  @Override
  public PCollectionTuple expand(PCollection<ObjectRef> objects) {
    PCollectionTuple planned = objects.apply("Plan object",
        ParDo.of(new PlanFn(settings)).withOutputTags(RANGES, TupleTagList.of(Results.TAG)));
    PCollection<RangeTask> spread =
        planned.get(RANGES).setCoder(Coders.RANGE)
            .apply("Spread ranges", Spread.over(settings.spreadBuckets()));
    return PCollectionTuple.of(RANGES, spread)
        .and(Results.TAG, planned.get(Results.TAG).setCoder(Coders.RESULT));
  }

  static final class PlanFn extends DoFn<ObjectRef, RangeTask> {
    private final FetchSettings settings;
    private transient S3Clients.Lease clients;
    private transient Set<String> invalidatedModels;

    PlanFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = S3Clients.Lease.forListing();
      invalidatedModels = new HashSet<>();
    }

    @ProcessElement
    public void process(@Element ObjectRef object, MultiOutputReceiver out) {
      String unsafe = LocalFiles.unsafe(object);
      if (unsafe != null) { // a link on the way: nothing is fetched or written for this file
        fail(object, "refused: " + unsafe, out);
        return;
      }
      if (!settings.forceDownload() && LocalFiles.isPresent(object)) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        Progress.present(object);
        out.get(Results.TAG).output(FileResult.present(object));
        return;
      }
      // The model is about to change: it is no longer complete until this run says so.
      if (invalidatedModels.add(object.model().modelDir())) {
        CompletionMarker.invalidate(object.model());
      }
      S3Client s3 = clients.get(object.client());
      List<RangeTask> tasks = ObjectPlans.tasks(object, settings, ObjectPlans.plan(s3, object, settings));
      BasicFileAttributes leftover = leftover(object); // one stat serves the resume and the preparation
      List<RangeTask> resumed = resumable(object, tasks, leftover);
      if (resumed.isEmpty()) {
        String problem = prepare(object, tasks.size(), leftover != null);
        if (problem != null) {
          fail(object, problem, out);
          return;
        }
      }
      Map<Integer, RangeTask> written = new HashMap<>();
      resumed.forEach(task -> written.put(task.index(), task));
      PrefetchMetrics.counter(PrefetchMetrics.RANGES_RESUMED).inc(resumed.size());
      Progress.resumed(object.model(), resumed.stream().mapToLong(RangeTask::lengthBytes).sum());
      for (RangeTask task : tasks) {
        out.get(RANGES).output(written.getOrDefault(task.index(), task));
      }
    }

    @Teardown
    public void teardown() {
      if (clients != null) {
        clients.releaseAll();
        clients = null;
      }
    }

    private static void fail(ObjectRef object, String error, MultiOutputReceiver out) {
      PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_FAILED).inc();
      Progress.fileDone(object.model(), true);
      out.get(Results.TAG).output(FileResult.objectFailure(object, 0, 0, error));
    }

    /**
     * What a killed run left at the object's temporary path (the entry itself: a link is not
     * followed), or null when nothing is there.
     */
    private static BasicFileAttributes leftover(ObjectRef object) {
      try {
        return Files.readAttributes(LocalFiles.temporary(object), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        return null;
      }
    }

    /**
     * The journaled ranges of a leftover that is this run's kind of file: a regular file of the
     * object's size with one name (a hard link elsewhere is never written into).
     */
    private static List<RangeTask> resumable(ObjectRef object, List<RangeTask> tasks, BasicFileAttributes leftover) {
      if (leftover == null || !leftover.isRegularFile() || leftover.size() != object.sizeBytes()
          || !singleLink(LocalFiles.temporary(object))) {
        return List.of();
      }
      return Journal.resumable(tasks);
    }

    private static boolean singleLink(Path file) {
      try {
        return ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue() == 1;
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
        return true; // a file system without link counts has no hard links to fear
      }
    }

    /**
     * Creates the temporary file of an object of {@code ranges} ranges, unless its fetch creates it
     * ({@link LocalFiles#createdByFetch}) and no killed run left one behind ({@code leftover});
     * returns why it could not, or null.
     */
    private static String prepare(ObjectRef object, int ranges, boolean leftover) {
      Path temporary = LocalFiles.temporary(object);
      try {
        Journal.clear(object);
        LocalFiles.partsFolder(object.model(), true).close();
        // File.getUsableSpace is one statvfs; Files.getFileStore re-reads the mount table each call.
        long free = temporary.getParent().toFile().getUsableSpace();
        if (free < object.sizeBytes()) {
          return "not enough space in " + Printable.escape(object.model().modelDir()) + ": the file needs "
              + object.sizeBytes() + " bytes, " + free + " are free; free space on its file system and run again";
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
}
