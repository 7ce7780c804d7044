package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.RangeTask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The ranges one bundle of the fetch step hands in: each is fetched on the runtime's executor as
 * soon as it is {@link #add}ed, so a worker keeps as many GETs in flight as the controller allows
 * however the runner sizes its bundles. A file whose ranges all came in this bundle is verified and
 * published as soon as its last range lands, on the verify pool, while other files still download:
 * the in-bundle commit. {@link #finish} waits for everything and says what came of it. Not
 * thread-safe: one bundle, one thread.
 */
public final class BundleFetch {

  /**
   * What the bundle came to, per file: all its ranges (in index order, each counted where it ran)
   * and, for a file whose ranges all came in this bundle, its verification's outcome; for any other
   * (some ranges went to other workers), null: its ranges are to be gathered and verified after the
   * step.
   */
  public record File(List<FetchedRange> ranges, FileAttempt.@Nullable Outcome committed) {}

  private final FetchRuntime runtime;
  private final Function<ClientRecipe, S3Client> clients;
  private final Map<String, InBundle> files = new LinkedHashMap<>();
  private final Map<ClientRecipe, RangeFetcher> fetchers = new HashMap<>(); // one per recipe

  /** One file's ranges seen in this bundle, by index, and its verification once they are all in. */
  private static final class InBundle {
    final TreeMap<Integer, CompletableFuture<FetchedRange>> ranges = new TreeMap<>();
    @Nullable CompletableFuture<FileAttempt.Outcome> verified;
  }

  public BundleFetch(FetchRuntime runtime, Function<ClientRecipe, S3Client> clients) {
    this.runtime = runtime;
    this.clients = clients;
  }

  /** Starts fetching {@code task}; a range delivered twice (a retried bundle) is fetched once. */
  public void add(RangeTask task) {
    InBundle file = files.computeIfAbsent(task.object().destinationKey(), k -> new InBundle());
    if (file.ranges.containsKey(task.index())) {
      return;
    }
    RangeFetcher fetcher =
        fetchers.computeIfAbsent(
            task.object().client(),
            recipe ->
                new RangeFetcher(
                    RangeFetcher.sourcesOf(recipe, clients.apply(recipe), runtime), runtime));
    file.ranges.put(task.index(), fetcher.submit(task));
    if (file.ranges.size() == task.count()) {
      List<CompletableFuture<FetchedRange>> all =
          List.copyOf(file.ranges.values()); // in index order
      CompletableFuture<List<FetchedRange>> landed =
          CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
              .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
      file.verified = FileAttempt.commitAsync(runtime, clients, landed);
    }
  }

  /** Waits for every range added and every in-bundle verification. */
  public List<File> finish() throws InterruptedException, ExecutionException {
    List<File> out = new ArrayList<>(files.size());
    for (InBundle file : files.values()) {
      List<FetchedRange> ranges = new ArrayList<>(file.ranges.size());
      for (CompletableFuture<FetchedRange> range : file.ranges.values()) {
        ranges.add(range.get());
      }
      out.add(new File(ranges, file.verified == null ? null : file.verified.get()));
    }
    files.clear();
    return out;
  }
}
