package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLockTest {

  @TempDir Path dir;

  @Test
  void secondHolderInTheSameJvmIsRefusedUntilTheFirstReleases() throws Exception {
    Path model = dir.resolve("llama");
    try (ModelLock first = ModelLock.tryAcquire(model).orElseThrow()) {
      assertEquals(Optional.empty(), ModelLock.tryAcquire(model));
      assertTrue(
          ModelLock.holder(model).startsWith("pid " + ProcessHandle.current().pid() + " "),
          ModelLock.holder(model));
    }
    try (ModelLock again = ModelLock.tryAcquire(model).orElseThrow()) {
      assertTrue(again != null);
    }
  }

  @Test
  void waitingGivesUpAfterItsTimeout() throws Exception {
    Path model = dir.resolve("qwen");
    try (ModelLock held = ModelLock.tryAcquire(model).orElseThrow()) {
      assertEquals(
          Optional.empty(),
          ModelLock.acquire(model, Duration.ofMillis(300), Duration.ofMillis(50)));
    }
  }

  @Test
  void lockOfAKilledProcessIsRecoveredWithoutCleanup() throws Exception {
    Path model = dir.resolve("killed");
    Process holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                model.toString())
            .redirectErrorStream(true)
            .start();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("locked", lines.readLine());
      assertEquals(Optional.empty(), ModelLock.tryAcquire(model), "held by the other process");
      holder.destroyForcibly(); // SIGKILL: no chance to release
      assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
    }
    try (ModelLock recovered = ModelLock.tryAcquire(model).orElseThrow()) {
      assertTrue(ModelLock.holder(model).startsWith("pid " + ProcessHandle.current().pid() + " "));
    }
  }

  /** Holds a model's lock until killed. */
  public static final class LockHolder {
    public static void main(String[] args) throws Exception {
      ModelLock lock = ModelLock.tryAcquire(Path.of(args[0])).orElseThrow();
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
      lock.close();
    }
  }
}
