package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.RangeTask;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What the fetches of one JVM share for one set of {@link FetchSettings}: the pools that run
 * ranged GETs and verify files, and the watchdog that ends stalled bodies.
 *
 * <p>Reference-counted: each DoFn instance that fetches or verifies {@link #acquire}s it in
 * {@code @Setup} and {@link #release}s it in {@code @Teardown}; the last release shuts its threads
 * down, so a Flink TaskManager, which outlives the job, keeps nothing of it.
 */
public final class FetchRuntime {

  /** Ranges up to this size go to the pool for small ranges. */
  public static final long SMALL_RANGE_BYTES = 1 << 20;

  /** How many more small ranges than large ones are in flight at once. */
  static final int SMALL_RANGE_FACTOR = 4;

  private static final Map<FetchSettings, FetchRuntime> RUNTIMES = new HashMap<>(); // guarded by the class

  private final FetchSettings settings;
  private final ExecutorService ranges;
  private final ExecutorService smallRanges;
  private final ExecutorService verify;
  private final StallWatchdog stalls;
  private final ScheduledExecutorService stallChecks;
  private final AtomicLong submitted = new AtomicLong();
  private int users; // guarded by the class

  private FetchRuntime(FetchSettings settings) {
    this.settings = settings;
    int threads = settings.maxInFlightRanges();
    this.ranges = ordered(threads, "prefetch-range");
    this.smallRanges = ordered(threads * SMALL_RANGE_FACTOR, "prefetch-small");
    // Digests keep every core busy; the fsync and rename of many small files wait on the disk, and
    // concurrent fsyncs share a journal commit, so the pool has at least 16 threads.
    this.verify = Executors.newFixedThreadPool(Math.max(16, Runtime.getRuntime().availableProcessors()),
        daemon("prefetch-verify"));
    this.stalls = new StallWatchdog(settings.stallTimeout(), System::nanoTime);
    this.stallChecks = Executors.newSingleThreadScheduledExecutor(daemon("prefetch-stall-watchdog"));
    long periodMillis = Math.max(1, Math.min(1000, settings.stallTimeoutMillis() / 4));
    stallChecks.scheduleAtFixedRate(stalls::check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** The JVM's runtime for {@code settings}, started on first use; {@link #release} it when done. */
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
    stallChecks.shutdownNow();
    ranges.shutdownNow();
    smallRanges.shutdownNow();
    verify.shutdownNow();
  }

  /** How many runtimes this JVM holds now (for tests: none once every user released). */
  static int live() {
    synchronized (FetchRuntime.class) {
      return RUNTIMES.size();
    }
  }

  public FetchSettings settings() {
    return settings;
  }

  /**
   * Runs {@code fetch} of {@code task} on the pool for its size. A pool takes the lowest range index
   * first, then the earliest submitted: the ranges in flight at once belong to different files
   * where there are enough files, so their writes do not queue on one file's lock, and each file's
   * ranges land in order, which lets its MD5 follow the bytes as they pass. A small range (a config
   * file, a tokenizer, one of a model's many small shards) waits on the round trip far more than it
   * moves bytes, so small ranges get {@link #SMALL_RANGE_FACTOR} times as many threads of their own.
   */
  public <T> CompletableFuture<T> submit(RangeTask task, Supplier<T> fetch) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ExecutorService pool = task.lengthBytes() > SMALL_RANGE_BYTES ? ranges : smallRanges;
    pool.execute(new Queued(task.index(), submitted.incrementAndGet(), () -> {
      try {
        result.complete(fetch.get());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }));
    return result;
  }

  /** The pool that verifies and publishes files. */
  public ExecutorService verifyPool() {
    return verify;
  }

  /** The watchdog every response body of these fetches is read under. */
  public StallWatchdog stalls() {
    return stalls;
  }

  /** A queued fetch, in the order {@link #submit} describes. */
  private record Queued(int index, long sequence, Runnable work) implements Runnable, Comparable<Queued> {
    @Override
    public void run() {
      work.run();
    }

    @Override
    public int compareTo(Queued other) {
      return index != other.index ? Integer.compare(index, other.index) : Long.compare(sequence, other.sequence);
    }
  }

  private static ExecutorService ordered(int threads, String name) {
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new PriorityBlockingQueue<>(),
        daemon(name));
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
