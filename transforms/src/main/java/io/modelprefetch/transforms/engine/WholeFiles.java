package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.storage.CompletionMarker;
import io.modelprefetch.transforms.storage.HadoopFiles;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.text.Printable;
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
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.hadoop.fs.FileSystem;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fetches objects for a Hadoop file system destination ({@link HadoopFiles}), which cannot be
 * written at random offsets: each object whole, its ranges in parallel into a node-local staging
 * file (in a folder of the user's alone under {@code java.io.tmpdir}), verified with the same
 * evidence, refetches and structure check as a local destination (on the staging file), then
 * published. One per fetch step instance: it keeps the destinations' file systems open until {@link
 * #close}. Not thread-safe.
 */
public final class WholeFiles implements AutoCloseable {

  /** What fetching one object came to. */
  public sealed interface Fetched permits Present, Done {}

  /** Already in place: {@code result} reports it. */
  public record Present(FileResult result) implements Fetched {}

  /**
   * Fetched and verified (or failed): {@code ranges} of its first fetch, the attempt's {@code
   * outcome}, and its {@code result} reported for the destination model.
   */
  public record Done(List<FetchedRange> ranges, FileAttempt.Outcome outcome, FileResult result)
      implements Fetched {}

  private final FetchRuntime runtime;
  private final Function<ClientRecipe, S3Client> clients;
  private final Map<String, FileSystem> fileSystems = new HashMap<>();
  private final Set<String> invalidated = new HashSet<>();

  public WholeFiles(FetchRuntime runtime, Function<ClientRecipe, S3Client> clients) {
    this.runtime = runtime;
    this.clients = clients;
  }

  public Fetched fetch(ObjectRef object) throws IOException, InterruptedException {
    ModelKey destination = object.model();
    FileSystem fs = fileSystems.get(destination.modelDir());
    if (fs == null) {
      fs = HadoopFiles.fileSystem(destination);
      fileSystems.put(destination.modelDir(), fs);
    }
    ProgressListener progress = runtime.progress();
    if (!runtime.settings().forceDownload() && HadoopFiles.isPresent(fs, object)) {
      progress.present(object);
      return new Present(FileResult.present(object));
    }
    if (invalidated.add(destination.modelDir())) {
      CompletionMarker.invalidate(fs, destination);
    }
    ObjectRef staged =
        object.withModel(
            new ModelKey(destination.name(), destination.uri(), stagingDir(destination)));
    LocalFiles.prepare(staged);
    S3Client s3 = clients.apply(staged.client());
    List<RangeTask> tasks =
        ObjectPlans.tasks(
            staged, runtime.settings(), ObjectPlans.plan(s3, staged, runtime.settings()));
    List<FetchedRange> ranges = ObjectPlans.fetchAll(s3, runtime, tasks);
    FileSystem target = fs;
    FileAttempt.Outcome outcome =
        new FileAttempt(
                runtime,
                clients,
                ranges,
                verified -> HadoopFiles.publish(target, destination, verified))
            .run();
    FileResult result = outcome.result().withModel(destination);
    // Range bytes were counted under the staging folder; the destination model shows them.
    progress.bytes(destination, result.bytesFetched());
    progress.fileDone(destination, result.status() == FileResult.Status.FAILED);
    return new Done(ranges, outcome, result);
  }

  @Override
  public void close() throws IOException {
    for (FileSystem fs : fileSystems.values()) {
      fs.close();
    }
    fileSystems.clear();
  }

  /** A node-local folder for one destination model's staging files. */
  private static String stagingDir(ModelKey destination) throws IOException {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(destination.modelDir().getBytes(StandardCharsets.UTF_8));
      return privateRoot(
              Path.of(
                  System.getProperty("java.io.tmpdir"),
                  "model-prefetch-staging-" + System.getProperty("user.name")))
          .resolve(HexFormat.of().formatHex(digest, 0, 8))
          .toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code root}, made when missing as a folder only this user may enter: {@code java.io.tmpdir}
   * ({@code /tmp}) is every user's, and another could have planted a link or a folder of their own
   * at its name, which a run (as root, say) would then write through. Such a one is refused.
   */
  public static Path privateRoot(Path root) throws IOException {
    try {
      Files.createDirectory(
          root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (FileAlreadyExistsException e) {
      // made by an earlier run of this user, or planted: the check below decides
    } catch (UnsupportedOperationException e) {
      return root; // not a POSIX file system: no other user to fear there
    }
    PosixFileAttributes attributes =
        Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    boolean othersMayWrite =
        attributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
            || attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE);
    if (!attributes.isDirectory()
        || othersMayWrite
        || !attributes.owner().getName().equals(System.getProperty("user.name"))) {
      throw new IOException(
          "the staging folder "
              + Printable.escape(root.toString())
              + " is not a folder of this user's"
              + " alone (a link, a file, another user's or writable by others); remove it, it is made afresh");
    }
    return root;
  }
}
