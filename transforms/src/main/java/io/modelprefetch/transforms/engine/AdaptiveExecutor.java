package io.modelprefetch.transforms.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs tasks with at most {@link ConcurrencyController#limit()} of them at once, lowest priority
 * key first, then earliest submitted.
 *
 * <p>Worker threads (daemons named {@code <prefix>-<n>}) are created when a task may start and no
 * worker is free, up to the controller's ceiling, and end after {@link #IDLE_TIMEOUT} with nothing
 * to start. A sampler thread ({@code <prefix>-sampler}) calls {@link ConcurrencyController#sample}
 * every {@value #SAMPLE_INTERVAL_MILLIS} ms with the tasks running and queued, and starts queued
 * tasks when the limit rose. When it falls, running tasks finish and fewer start; none is stopped.
 *
 * <p>Thread-safe. A task's future completes on the worker thread, so callbacks attached without an
 * executor run there, inside the task's slot.
 */
public final class AdaptiveExecutor {

  public static final long SAMPLE_INTERVAL_MILLIS = 100;

  /** How long a worker with nothing to start waits before it ends. */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final ConcurrencyController controller;
  private final String threadNamePrefix;
  private final LongSupplier nanoClock;
  private final long idleTimeoutNanos;
  private final @Nullable ScheduledExecutorService sampler; // null when sampled by hand

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition startable = lock.newCondition();
  private final Condition terminated = lock.newCondition();
  // All below guarded by lock.
  private final PriorityQueue<Job<?>> queue = new PriorityQueue<>();
  private long submitted;
  private int running;
  private int peakRunning;
  private int threads;
  private int threadsCreated;
  private boolean shutdown;

  /**
   * An executor sampled every {@value #SAMPLE_INTERVAL_MILLIS} ms on {@link System#nanoTime}.
   *
   * @param threadNamePrefix names its threads, e.g. {@code prefetch-range}
   */
  public AdaptiveExecutor(ConcurrencyController controller, String threadNamePrefix) {
    this(controller, threadNamePrefix, System::nanoTime, IDLE_TIMEOUT, true);
  }

  /** For tests: {@code sampled} false leaves sampling to {@link #sampleNow}. */
  AdaptiveExecutor(
      ConcurrencyController controller,
      String threadNamePrefix,
      LongSupplier nanoClock,
      Duration idleTimeout,
      boolean sampled) {
    this.controller = controller;
    this.threadNamePrefix = threadNamePrefix;
    this.nanoClock = nanoClock;
    this.idleTimeoutNanos = idleTimeout.toNanos();
    if (sampled) {
      sampler =
          Executors.newSingleThreadScheduledExecutor(r -> daemon(r, threadNamePrefix + "-sampler"));
      sampler.scheduleAtFixedRate(
          this::sampleNow, SAMPLE_INTERVAL_MILLIS, SAMPLE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    } else {
      sampler = null;
    }
  }

  /**
   * Queues {@code task}; it starts when a slot is free and no task with a lower {@code priority},
   * or the same one and submitted earlier, is waiting. A task whose future is cancelled before it
   * starts does not run.
   *
   * @param priority lower starts sooner (for ranges: the range's index in its object)
   * @return completes with the task's result, or exceptionally with what it threw, or with a {@link
   *     CancellationException} if the executor shuts down before it starts
   * @throws RejectedExecutionException after {@link #shutdown}
   */
  public <T> CompletableFuture<T> submit(long priority, Supplier<T> task) {
    CompletableFuture<T> future = new CompletableFuture<>();
    lock.lock();
    try {
      if (shutdown) {
        throw new RejectedExecutionException(
            threadNamePrefix + " executor is shut down; no task can be submitted");
      }
      queue.add(new Job<>(priority, submitted++, task, future));
      dispatch();
    } finally {
      lock.unlock();
    }
    return future;
  }

  /** Samples the controller and starts what the limit allows; the sampler thread's work. */
  void sampleNow() {
    lock.lock();
    try {
      if (!shutdown) {
        controller.sample(nanoClock.getAsLong(), running, queue.size());
        dispatch();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Tasks running now. */
  public int inFlight() {
    lock.lock();
    try {
      return running;
    } finally {
      lock.unlock();
    }
  }

  /** The most tasks that ran at once so far. */
  public int peakInFlight() {
    lock.lock();
    try {
      return peakRunning;
    } finally {
      lock.unlock();
    }
  }

  /** Tasks waiting for a slot. */
  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  public int limit() {
    return controller.limit();
  }

  /** Worker threads alive now. */
  int threads() {
    lock.lock();
    try {
      return threads;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the sampler, fails the queued tasks' futures with a {@link CancellationException} and
   * lets the workers end once their running task is done. Does not wait; see {@link
   * #awaitTermination}. Idempotent.
   */
  public void shutdown() {
    List<Job<?>> dropped = new ArrayList<>();
    lock.lock();
    try {
      if (shutdown) {
        return;
      }
      shutdown = true;
      dropped.addAll(queue);
      queue.clear();
      startable.signalAll();
      if (threads == 0) {
        terminated.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (sampler != null) {
      sampler.shutdown();
    }
    for (Job<?> job : dropped) { // outside the lock: the futures' callbacks run here
      job.future.completeExceptionally(
          new CancellationException(
              threadNamePrefix + " executor shut down before the task started"));
    }
  }

  /**
   * Waits until, after {@link #shutdown}, every thread has ended; false if {@code timeout} passed
   * first.
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (!shutdown || threads > 0) {
        long leftNanos = deadline - System.nanoTime();
        if (leftNanos <= 0) {
          return false;
        }
        terminated.awaitNanos(leftNanos);
      }
    } finally {
      lock.unlock();
    }
    return sampler == null
        || sampler.awaitTermination(
            Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** Wakes or creates workers for the tasks the limit lets start. Holds the lock. */
  private void dispatch() {
    int startableTasks = Math.min(queue.size(), controller.limit() - running);
    if (startableTasks <= 0) {
      return;
    }
    int free = threads - running; // workers not running a task look for one before they wait
    for (int i = 0; i < Math.min(startableTasks, free); i++) {
      startable.signal();
    }
    int toCreate = Math.min(startableTasks - free, controller.ceiling() - threads);
    for (int i = 0; i < toCreate; i++) {
      daemon(this::work, threadNamePrefix + "-" + ++threadsCreated).start();
      threads++;
    }
  }

  private boolean canStart() {
    return !queue.isEmpty() && running < controller.limit();
  }

  private void work() {
    while (true) {
      Job<?> job;
      lock.lock();
      try {
        long waitNanos = idleTimeoutNanos;
        while (!shutdown && !canStart()) {
          if (waitNanos <= 0) {
            end();
            return;
          }
          waitNanos = startable.awaitNanos(waitNanos);
        }
        if (shutdown) {
          end();
          return;
        }
        job = queue.poll();
        running++;
        peakRunning = Math.max(peakRunning, running);
      } catch (
          InterruptedException e) { // the flag is cleared after each task, so it came from outside
        end();
        dispatch(); // a replacement, if work is waiting
        return;
      } finally {
        lock.unlock();
      }
      try {
        job.run();
      } finally {
        Thread.interrupted(); // a task's interrupt is its own, not the worker's
        lock.lock();
        try {
          running--;
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** A worker ends. Holds the lock. */
  private void end() {
    threads--;
    if (shutdown && threads == 0) {
      terminated.signalAll();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private record Job<T>(long priority, long sequence, Supplier<T> task, CompletableFuture<T> future)
      implements Comparable<Job<?>> {
    void run() {
      if (future.isDone()) {
        return; // cancelled while it waited
      }
      try {
        future.complete(task.get());
      } catch (Throwable t) {
        future.completeExceptionally(t);
      }
    }

    @Override
    public int compareTo(Job<?> other) {
      return priority != other.priority
          ? Long.compare(priority, other.priority)
          : Long.compare(sequence, other.sequence);
    }
  }
}
