package io.modelprefetch.transforms;

import io.modelprefetch.transforms.engine.Progress;
import io.modelprefetch.transforms.engine.ObjectPlans;
import io.modelprefetch.transforms.engine.FileAttempt;
import io.modelprefetch.transforms.engine.FetchRuntime;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.text.Printable;
import io.modelprefetch.transforms.s3.S3Clients;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.hadoop.fs.FileSystem;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fetches objects for a Hadoop file system destination ({@link HadoopFiles}): each object whole
 * on one worker, its ranges in parallel into a node-local staging file (in a folder of the user's
 * alone under {@code java.io.tmpdir}), verified with the same
 * evidence, refetches and structural check as {@link CommitFiles} (on the staging file, before it
 * is published), then published to the destination. Objects are
 * spread across workers by the listing step's redistribution.
 */
public final class FetchWholeFiles extends PTransform<PCollection<ObjectRef>, PCollection<FileResult>> {

  private final FetchSettings settings;

  private FetchWholeFiles(FetchSettings settings) {
    this.settings = settings;
  }

  public static FetchWholeFiles with(FetchSettings settings) {
    return new FetchWholeFiles(settings);
  }

  @Override
  public PCollection<FileResult> expand(PCollection<ObjectRef> objects) {
    return objects.apply("Fetch, verify and publish", ParDo.of(new WholeFileFn(settings)))
        .setCoder(Coders.RESULT);
  }

  static final class WholeFileFn extends DoFn<ObjectRef, FileResult> {
    private final FetchSettings settings;
    private transient S3Clients.Lease clients;
    private transient FetchRuntime runtime;
    private transient Map<String, FileSystem> fileSystems;
    private transient java.util.Set<String> invalidated;

    WholeFileFn(FetchSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      clients = S3Clients.Lease.forFetch();
      runtime = FetchRuntime.acquire(settings);
      fileSystems = new HashMap<>();
      invalidated = new java.util.HashSet<>();
    }

    @ProcessElement
    public void process(@Element ObjectRef object, OutputReceiver<FileResult> out)
        throws IOException, InterruptedException {
      ModelKey destination = object.model();
      FileSystem fs = fileSystems.get(destination.modelDir());
      if (fs == null) {
        fs = HadoopFiles.fileSystem(destination);
        fileSystems.put(destination.modelDir(), fs);
      }
      if (!settings.forceDownload() && HadoopFiles.isPresent(fs, object)) {
        PrefetchMetrics.counter(PrefetchMetrics.OBJECTS_PRESENT).inc();
        Progress.present(object);
        out.output(FileResult.present(object));
        return;
      }
      if (invalidated.add(destination.modelDir())) {
        CompletionMarker.invalidate(fs, destination);
      }
      ObjectRef staged = object.withModel(new ModelKey(destination.name(), destination.uri(), stagingDir(destination)));
      LocalFiles.prepare(staged);
      S3Client s3 = clients.get(staged.client());
      List<RangeTask> tasks = ObjectPlans.tasks(staged, settings, ObjectPlans.plan(s3, staged, settings));
      List<FetchedRange> ranges = ObjectPlans.fetchAll(s3, runtime, tasks);
      ranges.forEach(PrefetchMetrics::countRange);
      FileSystem target = fs;
      FileAttempt attempt = new FileAttempt(runtime, clients::get, ranges,
          verified -> HadoopFiles.publish(target, destination, verified));
      FileAttempt.Outcome outcome = attempt.run();
      FileResult result = PrefetchMetrics.counted(outcome).withModel(destination);
      // Range bytes were counted under the staging folder; the destination model shows them.
      Progress.bytes(destination, result.bytesFetched());
      Progress.fileDone(destination, result.status() == FileResult.Status.FAILED);
      out.output(result);
    }

    @Teardown
    public void teardown() throws IOException {
      if (clients != null) {
        clients.releaseAll();
        clients = null;
      }
      if (runtime != null) {
        runtime.release();
        runtime = null;
      }
      if (fileSystems != null) {
        for (FileSystem fs : fileSystems.values()) {
          fs.close();
        }
        fileSystems = null;
      }
    }

    /** A node-local folder for one destination model's staging files. */
    private static String stagingDir(ModelKey destination) throws IOException {
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(destination.modelDir().getBytes(StandardCharsets.UTF_8));
        return privateRoot(Path.of(System.getProperty("java.io.tmpdir"),
            "model-prefetch-staging-" + System.getProperty("user.name"))).resolve(HexFormat.of().formatHex(digest, 0, 8))
            .toString();
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * {@code root}, made when missing as a folder only this user may enter: {@code java.io.tmpdir}
     * ({@code /tmp}) is every user's, and another could have planted a link or a folder of their
     * own at its name, which a run (as root, say) would then write through. Such a one is refused.
     */
    static Path privateRoot(Path root) throws IOException {
      try {
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException e) {
        // made by an earlier run of this user, or planted: the check below decides
      } catch (UnsupportedOperationException e) {
        return root; // not a POSIX file system: no other user to fear there
      }
      PosixFileAttributes attributes = Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      boolean othersMayWrite = attributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
          || attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE);
      if (!attributes.isDirectory() || othersMayWrite
          || !attributes.owner().getName().equals(System.getProperty("user.name"))) {
        throw new IOException("the staging folder " + Printable.escape(root.toString()) + " is not a folder of this user's"
            + " alone (a link, a file, another user's or writable by others); remove it, it is made afresh");
      }
      return root;
    }
  }
}
