package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.verify.DigestPlan;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The fetch executor starts the lowest range index first, then the earliest submitted; the last
 * user stops it.
 */
class FetchRuntimeTest {

  private static RangeTask range(String file, int index) {
    ObjectRef object =
        new ObjectRef(
            new ModelKey("m", "s3://b/m/", "/models/m"),
            ObjectUri.Scheme.S3,
            "b",
            "m/" + file,
            file,
            4L << 30,
            "\"0123456789abcdef0123456789abcdef\"",
            null,
            null);
    long size = 64L << 20;
    return new RangeTask(
        object, index, 64, index * size, (index + 1) * size - 1, DigestPlan.SIZE_ONLY, false);
  }

  @Test
  void queuedRangesStartByIndexSoFilesInterleave() throws Exception {
    // one thread: the queue order is the start order
    FetchRuntime runtime = FetchRuntime.acquire(FetchSettings.defaults().withMaxInFlightRanges(1));
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(1);
    List<String> started = new CopyOnWriteArrayList<>();
    CompletableFuture<FetchedRange> blocker =
        runtime.submit(
            range("blocker", 0),
            () -> {
              busy.countDown();
              await(release);
              return null;
            });
    busy.await();

    List<RangeTask> queued =
        List.of(
            range("a", 0),
            range("a", 1),
            range("a", 2),
            range("b", 0),
            range("b", 1),
            range("c", 0));
    List<CompletableFuture<FetchedRange>> all =
        queued.stream()
            .map(
                task ->
                    runtime.<FetchedRange>submit(
                        task,
                        () -> {
                          started.add(task.object().relativePath() + task.index());
                          return null;
                        }))
            .toList();
    release.countDown();
    blocker.get();
    for (CompletableFuture<FetchedRange> f : all) {
      f.get();
    }

    assertEquals(List.of("a0", "b0", "c0", "a1", "b1", "a2"), started);
    runtime.release();
  }

  @Test
  void aFetchThatThrowsFailsItsFuture() throws Exception {
    FetchRuntime runtime = FetchRuntime.acquire(FetchSettings.defaults().withMaxInFlightRanges(1));
    CompletableFuture<FetchedRange> failed =
        runtime.submit(
            range("x", 0),
            () -> {
              throw new IllegalStateException("boom");
            });

    Throwable cause = failed.handle((r, t) -> t).get();
    assertEquals("boom", cause.getMessage());
    assertEquals(
        null, runtime.submit(range("y", 0), () -> null).get(), "the pool still runs fetches");
    runtime.release();
  }

  @Test
  void theLastReleaseStopsTheRuntimeAndTheNextAcquireStartsAnother() throws Exception {
    FetchSettings settings = FetchSettings.defaults().withMaxInFlightRanges(3);
    int before = FetchRuntime.live();
    FetchRuntime first = FetchRuntime.acquire(settings);
    FetchRuntime second = FetchRuntime.acquire(settings);
    assertSame(first, second, "one runtime per JVM and settings");
    first.release();
    assertEquals("still running", first.submit(range("z", 0), () -> "still running").get());
    second.release();
    assertEquals(before, FetchRuntime.live());
    assertTrue(first.verifyPool().isShutdown(), "the last release stops its pools");

    FetchRuntime third = FetchRuntime.acquire(settings);
    assertNotSame(first, third);
    third.release();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
