package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.S3Errors;
import io.modelprefetch.transforms.storage.IoErrors;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.structure.ModelStructure;
import io.modelprefetch.transforms.structure.Structure;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * Verification of one fetched file with its refetches: a file whose evidence does not match is
 * fetched again (up to {@link #MAX_VERIFY_ATTEMPTS} in all), an object that changed during the
 * download is restarted once from its new version, and a verified file is handed to a {@link
 * Publisher}. A file that fails is removed and reported with the expected and actual values.
 *
 * <p>With {@link FetchSettings#structureCheck}, a verified file's structure is checked ({@link
 * ModelStructure}) before it is published: a malformed one fails at once, never fetched again,
 * since its bytes are the store's (they were just verified) and a refetch brings the same ones.
 */
public final class FileAttempt {

  private static final Logger LOG = LoggerFactory.getLogger(FileAttempt.class);

  /** How many times a file is fetched at most when its evidence does not match: 3. */
  public static final int MAX_VERIFY_ATTEMPTS = 3;

  /**
   * What verifying one file came to: its result, and the fetches made again along the way (whole
   * refetches after a mismatch, a restart from a new version), for the caller to count in its
   * metrics: the first fetch was counted where it ran.
   */
  public record Outcome(FileResult result, int refetches, List<FetchedRange> refetched) {
    public Outcome {
      refetched = List.copyOf(refetched);
    }
  }

  /** Moves a verified temporary file to where consumers see it. */
  public interface Publisher {
    void publish(ObjectRef object) throws IOException;
  }

  /** The local or shared POSIX folder: fsync and atomic rename into place, links never followed. */
  public static final Publisher LOCAL = LocalFiles::commit;

  private final FetchRuntime runtime;
  private final FetchSettings settings;
  private final Function<ClientRecipe, S3Client> clients;
  private final Publisher publisher;

  private List<FetchedRange> ranges;
  private ObjectRef object;
  private long bytesFetched;
  private int retries;
  private int refetches;
  private final List<FetchedRange> refetched = new ArrayList<>();
  private boolean restarted;
  private @Nullable String
      guessedFingerprint; // the bytes of the last fetch whose part layout no guess matched

  public FileAttempt(
      FetchRuntime runtime,
      Function<ClientRecipe, S3Client> clients,
      List<FetchedRange> ranges,
      Publisher publisher) {
    this.runtime = runtime;
    this.settings = runtime.settings();
    this.clients = clients;
    this.publisher = publisher;
    this.ranges = ranges;
    this.object = ranges.get(0).task().object();
    count(ranges);
  }

  /**
   * Commits one file into the local or shared folder, on {@code runtime}'s verify pool once {@code
   * ranges} (all of its ranges, in index order) are in: verified (fetched again on a mismatch),
   * structure-checked, moved into place atomically, and its result. The one way a fetched range's
   * file is committed: the in-bundle fast path ({@link BundleFetch}) and the gathered files ({@link
   * #commitGathered}) both come here.
   */
  public static CompletableFuture<Outcome> commitAsync(
      FetchRuntime runtime,
      Function<ClientRecipe, S3Client> clients,
      CompletableFuture<List<FetchedRange>> ranges) {
    return ranges.thenApplyAsync(
        in -> {
          FileAttempt attempt = new FileAttempt(runtime, clients, in, LOCAL);
          try {
            Outcome outcome = attempt.run();
            runtime
                .progress()
                .fileDone(
                    outcome.result().model(),
                    outcome.result().status() == FileResult.Status.FAILED);
            return outcome;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
          }
        },
        runtime.verifyPool());
  }

  /**
   * Commits the files of {@code ranges}, ranges gathered after the fetch (several files of one
   * bucket, in any order), each with {@link #commitAsync}, in parallel. A retried bundle may have
   * delivered a range twice: one per index is kept, a good one if any.
   *
   * @return each file's outcome, in the order its first range came
   */
  public static List<Outcome> commitGathered(
      FetchRuntime runtime, Function<ClientRecipe, S3Client> clients, Iterable<FetchedRange> ranges)
      throws InterruptedException, ExecutionException {
    Map<String, TreeMap<Integer, FetchedRange>> files = new LinkedHashMap<>();
    for (FetchedRange range : ranges) {
      files
          .computeIfAbsent(range.task().object().destinationKey(), k -> new TreeMap<>())
          .merge(range.task().index(), range, (a, b) -> a.ok() ? a : b);
    }
    List<CompletableFuture<Outcome>> committing = new ArrayList<>(files.size());
    for (TreeMap<Integer, FetchedRange> file : files.values()) {
      committing.add(
          commitAsync(
              runtime, clients, CompletableFuture.completedFuture(List.copyOf(file.values()))));
    }
    List<Outcome> outcomes = new ArrayList<>(committing.size());
    for (CompletableFuture<Outcome> file : committing) {
      outcomes.add(file.get());
    }
    return outcomes;
  }

  /** Verifies and publishes the file; may run on any thread. */
  public Outcome run() throws InterruptedException {
    FileResult result = attempt();
    return new Outcome(result, refetches, refetched);
  }

  private FileResult attempt() throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      if (ranges.stream().anyMatch(FetchedRange::objectChanged)) {
        String changed = restartFromNewVersion();
        if (changed != null) {
          return fail(changed);
        }
        continue;
      }
      var failed = ranges.stream().filter(r -> !r.ok()).findFirst();
      if (failed.isPresent()) {
        return fail(Objects.requireNonNull(failed.get().error(), "a range not ok has its error"));
      }
      int expected = ranges.get(0).task().count();
      if (ranges.size() != expected) {
        return fail("only " + ranges.size() + " of " + expected + " ranges arrived");
      }
      Evidence.Verdict verdict;
      try {
        verdict = Evidence.check(object, ranges, LocalFiles.temporary(object));
      } catch (IOException e) {
        return fail(IoErrors.describe("read", LocalFiles.temporary(object), e));
      }
      if (verdict.layoutGuessed()) {
        if (guessedFingerprint != null && guessedFingerprint.equals(verdict.fingerprint())) {
          // The same bytes twice: what the store holds, uploaded with a part size not guessed.
          LOG.warn(
              "{}: {}; the same bytes came twice, so they are what the store holds, uploaded with another"
                  + " part size: checked by size only",
              Printable.escape(object.uri()),
              verdict.mismatch());
          verdict = new Evidence.Verdict(Evidence.SIZE, verdict.checks(), null);
        } else {
          guessedFingerprint = verdict.fingerprint();
        }
      }
      if (verdict.ok() && settings.requireDigest() && Evidence.SIZE.equals(verdict.verifiedBy())) {
        return fail(
            "only its size could be checked: the store keeps no digest of it (no MD5 ETag, no S3 or TOS"
                + " checksum, no uploader's MD5), and --require-digest refuses size alone");
      }
      if (verdict.ok()) {
        return commit(verdict);
      }
      if (attempt >= MAX_VERIFY_ATTEMPTS) {
        return fail(verdict.mismatch() + " after " + attempt + " attempts");
      }
      LOG.warn(
          "{} failed verification ({}); fetching it again ({} of {})",
          Printable.escape(object.uri()),
          verdict.mismatch(),
          attempt + 1,
          MAX_VERIFY_ATTEMPTS);
      refetches++;
      retries++; // a whole-object retry
      refetch(object);
    }
  }

  private FileResult commit(Evidence.Verdict verdict) {
    runtime.inOrder().forget(object); // what a range given up on left behind
    Structure structure = Structure.NOT_APPLICABLE;
    if (settings.structureCheck()) {
      Path temporary = LocalFiles.temporary(object);
      long startNanos = System.nanoTime();
      try {
        structure = ModelStructure.check(object.relativePath(), temporary, object.listing());
      } catch (IOException e) {
        return fail(IoErrors.describe("read", temporary, e));
      }
      if (LOG.isDebugEnabled() && structure.check() != null) {
        LOG.debug(
            "{}: structure {} ({} check) in {} us",
            Printable.escape(object.uri()),
            structure.status().label(),
            structure.check(),
            (System.nanoTime() - startNanos) / 1000);
      }
      for (String note : structure.notes()) {
        LOG.warn("{}: {}", Printable.escape(object.uri()), Printable.oneLine(note));
      }
      if (structure.isFailed()) {
        return fail(malformed(
                Objects.requireNonNull(structure.failure(), "a failed structure says why")))
            .withStructure(Structure.Status.FAILED, structure.notes());
      }
    }
    try {
      publisher.publish(object);
    } catch (IOException e) {
      return fail(IoErrors.describe("commit", LocalFiles.target(object), e));
    }
    return new FileResult(
        object.model(),
        object.uri(),
        object.relativePath(),
        object.sizeBytes(),
        object.etag(),
        verdict.verifiedBy(),
        verdict.checks(),
        FileResult.Status.VERIFIED,
        bytesFetched,
        retries,
        null,
        structure.status(),
        structure.notes());
  }

  /** The error of a file whose verified bytes break {@code rule}: the store's copy is unusable. */
  static String malformed(String rule) {
    return "the source object is malformed: " + rule + "; fetching again will not help";
  }

  /** Restarts once from the object's current version; returns why it cannot, or null. */
  private @Nullable String restartFromNewVersion() throws InterruptedException {
    if (restarted) {
      return "the object changed again during the download (ETag no longer " + object.etag() + ")";
    }
    restarted = true;
    HeadObjectResponse head;
    try {
      head = client().headObject(b -> b.bucket(object.bucket()).key(object.key()));
    } catch (SdkException e) {
      return S3Errors.describe(e, object.uri());
    }
    LOG.warn(
        "{} changed during the download (ETag {} is now {}); restarting from the new version",
        Printable.escape(object.uri()),
        Printable.oneLine(object.etag()),
        Printable.oneLine(head.eTag()));
    LocalFiles.discard(object);
    object = object.withVersion(head.contentLength(), head.eTag());
    try {
      LocalFiles.prepare(object);
    } catch (IOException e) {
      return IoErrors.describe("create", LocalFiles.temporary(object), e);
    }
    refetch(object);
    return null;
  }

  private void refetch(ObjectRef target) throws InterruptedException {
    // The bytes in place are thrown away: they are done again by the refetch.
    runtime
        .progress()
        .undone(
            object.model(),
            ranges.stream().filter(FetchedRange::ok).mapToLong(r -> r.task().lengthBytes()).sum());
    S3Client s3 = client();
    List<RangeTask> tasks =
        ObjectPlans.tasks(target, settings, ObjectPlans.plan(s3, target, settings));
    ranges = ObjectPlans.fetchAll(s3, runtime, tasks);
    refetched.addAll(ranges);
    count(ranges);
  }

  private void count(List<FetchedRange> fetched) {
    for (FetchedRange r : fetched) {
      bytesFetched += r.bytesFetched();
      retries += r.retries();
    }
  }

  private S3Client client() {
    return clients.apply(object.client());
  }

  private FileResult fail(String error) {
    LocalFiles.discard(object);
    runtime.inOrder().forget(object); // a digest its failed ranges left unfinished
    return FileResult.objectFailure(object, bytesFetched, retries, error);
  }
}
