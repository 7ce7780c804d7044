package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The executor, sampled by hand on a clock the test moves: nothing waits on time; the tests wait on
 * latches and semaphores the tasks release.
 */
class AdaptiveExecutorTest {

  private static final long MS = 1_000_000L;
  private static final Duration LONG = Duration.ofSeconds(30);

  private final AtomicLong clock = new AtomicLong();
  private final List<AdaptiveExecutor> executors = new ArrayList<>();

  private AdaptiveExecutor executor(ConcurrencyController controller, Duration idleTimeout) {
    AdaptiveExecutor executor =
        new AdaptiveExecutor(controller, "test-fetch", clock::get, idleTimeout, false);
    executors.add(executor);
    return executor;
  }

  @AfterEach
  void shutDown() {
    executors.forEach(AdaptiveExecutor::shutdown);
  }

  /** A task that reports its start, then waits for a permit to finish. */
  private static CompletableFuture<Integer> blocking(
      AdaptiveExecutor executor, int id, Semaphore started, Semaphore finish) {
    return executor.submit(
        0,
        () -> {
          started.release();
          finish.acquireUninterruptibly();
          return id;
        });
  }

  @Test
  void startsTheLowestKeyFirstThenTheEarliestSubmitted() throws Exception {
    AdaptiveExecutor executor = executor(ConcurrencyController.fixed(1), LONG);
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Object> blocker =
        executor.submit(
            0,
            () -> {
              busy.countDown();
              await(release);
              return null;
            });
    busy.await();

    List<String> started = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Boolean>> all = new ArrayList<>();
    for (String name : List.of("a2", "b0", "c1", "d0", "e1", "f0")) {
      all.add(executor.submit(name.charAt(1) - '0', () -> started.add(name)));
    }
    assertEquals(6, executor.queued());
    release.countDown();
    blocker.get();
    for (CompletableFuture<Boolean> f : all) {
      f.get();
    }

    assertEquals(List.of("b0", "d0", "f0", "c1", "e1", "a2"), started);
  }

  @Test
  void neverRunsMoreThanTheLimit() throws Exception {
    AdaptiveExecutor executor = executor(ConcurrencyController.fixed(3), LONG);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger starts = new AtomicInteger();
    Semaphore started = new Semaphore(0);
    CountDownLatch gate = new CountDownLatch(1);
    List<CompletableFuture<Integer>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(
          executor.submit(
              i,
              () -> {
                maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                starts.incrementAndGet();
                started.release();
                await(gate);
                running.decrementAndGet();
                return 1;
              }));
    }
    started.acquire(3);
    executor.sampleNow();

    assertEquals(3, executor.threads(), "threads are created for what may start, no more");
    assertEquals(3, executor.inFlight());
    assertEquals(17, executor.queued());
    assertEquals(3, starts.get());
    gate.countDown();
    int sum = 0;
    for (CompletableFuture<Integer> f : all) {
      sum += f.get();
    }
    assertEquals(20, sum);
    assertEquals(3, maxRunning.get());
  }

  @Test
  void aRisingLimitStartsQueuedTasks() throws Exception {
    ConcurrencyController controller = ConcurrencyController.adaptive(64);
    AdaptiveExecutor executor = executor(controller, LONG);
    Semaphore started = new Semaphore(0);
    Semaphore finish = new Semaphore(0);
    List<CompletableFuture<Integer>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int id = i;
      all.add(
          executor.submit(
              i,
              () -> {
                controller.started();
                controller.firstByte();
                started.release();
                finish.acquireUninterruptibly();
                controller.finished();
                return id;
              }));
    }
    started.acquire(8);
    assertEquals(8, executor.inFlight());
    assertEquals(12, executor.queued());

    executor.sampleNow(); // opens a window at 0
    controller.bytes(100L << 20);
    clock.set(ConcurrencyController.MIN_WINDOW_NANOS);
    executor.sampleNow(); // a saturated window: slow start grows to 12
    assertTrue(
        started.tryAcquire(4, 30, java.util.concurrent.TimeUnit.SECONDS),
        "the 4 tasks the limit let start");

    assertEquals(12, executor.limit());
    assertEquals(12, executor.inFlight());
    assertEquals(8, executor.queued());
    finish.release(20);
    for (CompletableFuture<Integer> f : all) {
      f.get();
    }
  }

  @Test
  void aFallingLimitLetsRunningTasksFinishAndStartsFewer() throws Exception {
    ConcurrencyController controller = ConcurrencyController.fixed(4);
    AdaptiveExecutor executor = executor(controller, LONG);
    AtomicInteger starts = new AtomicInteger();
    Semaphore started = new Semaphore(0);
    Semaphore finish = new Semaphore(0);
    List<CompletableFuture<Integer>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int id = i;
      all.add(
          executor.submit(
              i,
              () -> {
                starts.incrementAndGet();
                started.release();
                finish.acquireUninterruptibly();
                return id;
              }));
    }
    started.acquire(4);

    controller.throttled();
    executor.sampleNow();
    assertEquals(2, executor.limit(), "4 x 0.7");
    assertEquals(4, executor.inFlight(), "running tasks are not stopped");
    finish.release(3); // 3 finish: 1 runs, so 1 more may start
    started.acquire(1);

    assertEquals(5, starts.get());
    assertEquals(2, executor.inFlight());
    assertEquals(5, executor.queued());
    finish.release(10);
    for (CompletableFuture<Integer> f : all) {
      f.get();
    }
  }

  @Test
  void aTaskThatThrowsFailsItsFutureAndTheWorkerGoesOn() throws Exception {
    AdaptiveExecutor executor = executor(ConcurrencyController.fixed(1), LONG);

    CompletableFuture<Object> failed =
        executor.submit(
            0,
            () -> {
              throw new IllegalStateException("boom");
            });
    Throwable cause = failed.handle((r, t) -> t).get();

    assertInstanceOf(IllegalStateException.class, cause);
    assertEquals("boom", cause.getMessage());
    assertEquals("next", executor.submit(0, () -> "next").get());
  }

  @Test
  void aTaskCancelledBeforeItStartsDoesNotRun() throws Exception {
    AdaptiveExecutor executor = executor(ConcurrencyController.fixed(1), LONG);
    Semaphore started = new Semaphore(0);
    Semaphore finish = new Semaphore(0);
    CompletableFuture<Integer> blocker = blocking(executor, 0, started, finish);
    started.acquire();
    AtomicBoolean ran = new AtomicBoolean();
    CompletableFuture<Boolean> cancelled = executor.submit(0, () -> ran.getAndSet(true));
    CompletableFuture<String> after = executor.submit(0, () -> "after");

    cancelled.cancel(false);
    finish.release();

    assertEquals(0, blocker.get());
    assertEquals("after", after.get());
    assertFalse(ran.get());
  }

  @Test
  void idleWorkersEndAndNewOnesStartForNewWork() throws Exception {
    AdaptiveExecutor executor = executor(ConcurrencyController.fixed(4), Duration.ZERO);
    Set<Thread> workers = ConcurrentHashMap.newKeySet();
    CountDownLatch allRunning = new CountDownLatch(4); // so that each task has a worker of its own
    List<CompletableFuture<Boolean>> all = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      all.add(
          executor.submit(
              i,
              () -> {
                allRunning.countDown();
                await(allRunning);
                return workers.add(Thread.currentThread());
              }));
    }
    for (CompletableFuture<Boolean> f : all) {
      f.get();
    }
    for (Thread t : workers) {
      t.join();
    }

    assertEquals(0, executor.threads());
    Thread next = executor.submit(0, Thread::currentThread).get();
    assertFalse(workers.contains(next));
    assertTrue(next.getName().startsWith("test-fetch-"), next.getName());
    assertTrue(next.isDaemon());
  }

  @Test
  void shutdownCancelsQueuedTasksLetsRunningOnesFinishAndEndsEveryThread() throws Exception {
    AdaptiveExecutor executor =
        new AdaptiveExecutor(ConcurrencyController.fixed(2), "test-shutdown");
    Thread sampler =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("test-shutdown-sampler"))
            .findFirst()
            .orElseThrow();
    assertTrue(sampler.isDaemon());
    Semaphore started = new Semaphore(0);
    Semaphore finish = new Semaphore(0);
    Set<Thread> workers = ConcurrentHashMap.newKeySet();
    List<CompletableFuture<Integer>> running = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int id = i;
      running.add(
          executor.submit(
              0,
              () -> {
                workers.add(Thread.currentThread());
                started.release();
                finish.acquireUninterruptibly();
                return id;
              }));
    }
    started.acquire(2);
    CompletableFuture<Integer> queued = executor.submit(1, () -> 99);

    executor.shutdown();

    CancellationException cancelled = assertThrows(CancellationException.class, queued::join);
    assertEquals(
        "test-shutdown executor shut down before the task started", cancelled.getMessage());
    assertEquals(
        "test-shutdown executor is shut down; no task can be submitted",
        assertThrows(RejectedExecutionException.class, () -> executor.submit(0, () -> 1))
            .getMessage());
    finish.release(2);
    assertEquals(0, running.get(0).get());
    assertEquals(1, running.get(1).get());
    assertTrue(executor.awaitTermination(LONG));
    for (Thread t : workers) {
      t.join();
    }
    sampler.join();
    assertEquals(0, executor.threads());
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
