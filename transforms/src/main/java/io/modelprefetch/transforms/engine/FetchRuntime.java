package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.SmallGets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the fetches of one JVM share for one set of {@link FetchSettings}: the executor that runs
 * ranged GETs under one {@link ConcurrencyController} for all files of all models, the pool that
 * verifies files, the watchdog that ends stalled bodies, and the digests that follow the download
 * ({@link InOrderDigests}).
 *
 * <p>Reference-counted: each DoFn instance that fetches or verifies {@link #acquire}s it in
 * {@code @Setup} and {@link #release}s it in {@code @Teardown}; the last release shuts its threads
 * down, so a Flink TaskManager, which outlives the job, keeps nothing of it.
 */
public final class FetchRuntime {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FetchRuntime.class);

  private static final Map<FetchSettings, FetchRuntime> RUNTIMES =
      new HashMap<>(); // guarded by the class
  private static final AtomicReference<ProgressListener> WATCHER =
      new AtomicReference<>(ProgressListener.NONE);

  private final FetchSettings settings;
  private final ConcurrencyController controller;
  private final AdaptiveExecutor ranges;
  private final ExecutorService verify;
  private final StallWatchdog stalls;
  private final ScheduledExecutorService stallChecks;
  private final InOrderDigests inOrder;
  private final Map<ClientRecipe, Optional<SmallGets>> smallGets = new ConcurrentHashMap<>();
  private int users; // guarded by the class

  private FetchRuntime(FetchSettings settings) {
    this.settings = settings;
    this.inOrder = new InOrderDigests(settings.directIo());
    this.controller =
        settings.adaptiveConcurrency()
            ? ConcurrencyController.adaptive(settings.inFlightCeiling())
            : ConcurrencyController.fixed(settings.maxInFlightRanges());
    this.ranges = new AdaptiveExecutor(controller, "prefetch-range");
    // Digests keep every core busy; the fsync and rename of many small files wait on the disk, and
    // concurrent fsyncs share a journal commit, so the pool has at least 16 threads.
    this.verify =
        Executors.newFixedThreadPool(
            Math.max(16, Runtime.getRuntime().availableProcessors()), daemon("prefetch-verify"));
    this.stalls = new StallWatchdog(settings.stallTimeout(), System::nanoTime);
    this.stallChecks =
        Executors.newSingleThreadScheduledExecutor(daemon("prefetch-stall-watchdog"));
    long periodMillis = Math.max(1, Math.min(1000, settings.stallTimeoutMillis() / 4));
    stallChecks.scheduleAtFixedRate(
        stalls::check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Has {@code listener} hear the progress of every fetch of this JVM until the returned handle is
   * closed: the command line watches the run whose workers share its JVM. One listener at a time.
   */
  public static Watch watch(ProgressListener listener) {
    WATCHER.set(listener);
    return () -> WATCHER.compareAndSet(listener, ProgressListener.NONE);
  }

  /** A listener's watch of a run; closing it ends the watch. */
  public interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Where the work of this JVM reports its progress: the watching listener, or {@link
   * ProgressListener#NONE}.
   */
  public ProgressListener progress() {
    return Objects.requireNonNull(WATCHER.get(), "set to NONE when no listener watches");
  }

  /**
   * The JVM's runtime for {@code settings}, started on first use; {@link #release} it when done.
   */
  public static FetchRuntime acquire(FetchSettings settings) {
    synchronized (FetchRuntime.class) {
      FetchRuntime runtime = RUNTIMES.computeIfAbsent(settings, FetchRuntime::new);
      runtime.users++;
      return runtime;
    }
  }

  /** Gives one use back; the last one shuts the runtime's threads down. */
  public void release() {
    synchronized (FetchRuntime.class) {
      if (--users > 0) {
        return;
      }
      RUNTIMES.remove(settings, this);
    }
    if (ranges.peakInFlight() > 0) {
      LOG.info(
          "Ranged GETs in flight: at most {} at once; the controller ended at {}",
          ranges.peakInFlight(),
          controller.snapshot());
    }
    String digests = inOrder.summary();
    if (!digests.isEmpty()) {
      LOG.info("Whole-object digests of ranged objects: {}", digests);
    }
    stallChecks.shutdownNow();
    ranges.shutdown();
    verify.shutdownNow();
  }

  /** How many runtimes this JVM holds now (for tests: none once every user released). */
  static int live() {
    synchronized (FetchRuntime.class) {
      return RUNTIMES.size();
    }
  }

  /**
   * The ranged GETs of this JVM now, summed over its runtimes, for the progress line of a run whose
   * workers share the launching JVM.
   */
  public static Streams streamsNow() {
    List<FetchRuntime> live;
    synchronized (FetchRuntime.class) {
      live = new ArrayList<>(RUNTIMES.values());
    }
    int inFlight = 0;
    int limit = 0;
    for (FetchRuntime runtime : live) {
      inFlight += runtime.ranges.inFlight();
      limit += runtime.ranges.limit();
    }
    return new Streams(inFlight, limit);
  }

  /** Ranged GETs running, and how many the controllers allow. */
  public record Streams(int inFlight, int limit) {}

  public FetchSettings settings() {
    return settings;
  }

  /** What the fetches of this runtime report their requests and bytes to. */
  public ConcurrencyController controller() {
    return controller;
  }

  /**
   * Runs {@code fetch} of {@code task} when the controller's limit allows, the lowest range index
   * first, then the earliest submitted: the ranges in flight at once belong to different files
   * where there are enough files, so their writes do not queue on one file's lock, and each file's
   * ranges land in order, which lets its MD5 follow the bytes as they pass.
   */
  public <T> CompletableFuture<T> submit(RangeTask task, Supplier<T> fetch) {
    return ranges.submit(task.index(), fetch);
  }

  /** The pool that verifies and publishes files. */
  public ExecutorService verifyPool() {
    return verify;
  }

  /** The whole-object digests that follow the download of objects fetched in several ranges. */
  public InOrderDigests inOrder() {
    return inOrder;
  }

  /**
   * The small GETs for {@code recipe}, built on first use; null when the SDK must fetch (a proxy is
   * configured).
   */
  public @Nullable SmallGets smallGets(ClientRecipe recipe) {
    return smallGets
        .computeIfAbsent(recipe, r -> Optional.ofNullable(SmallGets.of(r)))
        .orElse(null);
  }

  /** The watchdog every response body of these fetches is read under. */
  public StallWatchdog stalls() {
    return stalls;
  }

  /** Daemon threads named {@code name-N}. */
  public static ThreadFactory daemon(String name) {
    AtomicInteger id = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + id.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
