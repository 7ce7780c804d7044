package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination that runs out of space, or cannot be written at all: a 4 MiB tmpfs and a read-only
 * one mounted by the test (root only, which also ignores permission bits: a read-only mount holds
 * for root; skipped where mounting is not allowed). The failing file is named with its path, no
 * temporary file is left, and an existing file is not damaged.
 */
class DiskFullIT {

  static final long MIB = DemoModel.MIB;

  @TempDir static Path serverDir;
  @TempDir static Path mountPoint;
  @TempDir static Path readOnlyRoot;
  static EmbeddedS3 server;
  static boolean mounted;
  static boolean readOnlyMounted;

  @BeforeAll
  static void start() throws Exception {
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.toString())
            .redirectErrorStream(true)
            .start();
    mounted = mount.waitFor() == 0;
    Assumptions.assumeTrue(
        mounted,
        "mounting a tmpfs needs root: " + new String(mount.getInputStream().readAllBytes()));
    Files.createDirectories(readOnlyRoot.resolve("m"));
    readOnlyMounted =
        new ProcessBuilder(
                    "mount",
                    "-t",
                    "tmpfs",
                    "-o",
                    "size=1m,ro",
                    "tmpfs",
                    readOnlyRoot.resolve("m").toString())
                .inheritIO()
                .start()
                .waitFor()
            == 0;
    server = EmbeddedS3.start(serverDir.resolve("data"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (mounted) {
      new ProcessBuilder("umount", mountPoint.toString()).inheritIO().start().waitFor();
    }
    if (readOnlyMounted) {
      new ProcessBuilder("umount", readOnlyRoot.resolve("m").toString())
          .inheritIO()
          .start()
          .waitFor();
    }
  }

  @Test
  void aReadOnlyModelFolderIsOneLineNamingItBeforeAnythingIsWritten() throws IOException {
    Assumptions.assumeTrue(readOnlyMounted, "a read-only tmpfs could not be mounted");
    DemoModel.upload(
        server.admin(), "models", "ro/", List.of(DemoModel.File.single("config.json", 0)));

    Cli cli =
        Cli.run(
            env(),
            "--local-dir",
            readOnlyRoot.toString(),
            "--model-uri",
            "s3://models/ro/",
            "--model-name",
            "m");

    assertEquals(2, cli.status(), cli.toString());
    assertEquals(
        "model-prefetch: cannot take the lock "
            + readOnlyRoot.resolve("m/.prefetch/lock")
            + ": Read-only file system; the file system is mounted read-only: remount it read-write or choose another"
            + " --local-dir\n",
        cli.err());
    assertEquals("", cli.out());
  }

  @Test
  void aRerunOnAFullDiskSaysSoInOneLineAndLeavesNoTemporaryMarker() throws IOException {
    DemoModel.upload(
        server.admin(),
        "models",
        "rerun/",
        List.of(DemoModel.File.single("config.json", 0), DemoModel.File.single("w.bin", MIB)));
    Path model = mountPoint.resolve("c/m");
    String[] args = {
      "--local-dir",
      mountPoint.resolve("c").toString(),
      "--model-uri",
      "s3://models/rerun/",
      "--model-name",
      "m"
    };
    assertEquals(0, Cli.run(env(), args).status());
    Files.delete(model.resolve(".prefetch/complete.json")); // a rerun must write it again
    fill(mountPoint.resolve("filler"));

    try {
      Cli rerun;
      try {
        rerun = Cli.run(env(), args);
      } finally {
        Files.delete(mountPoint.resolve("filler"));
      }

      assertEquals(1, rerun.status(), rerun.toString());
      assertTrue(
          rerun
              .err()
              .contains(
                  "FAILED s3://models/rerun/: cannot write "
                      + model.resolve(".prefetch/complete.json")
                      + ": No space left on device; free space on its file system (or raise the quota) and run again\n"),
          rerun.err());
      assertTrue(
          rerun
              .err()
              .contains(
                  "model-prefetch: 1 model(s), 2 object(s): 0 verified, 2 already present, 0 failed;"),
          rerun.err());
      assertEquals(
          List.of("lock", "parts"),
          OperabilityIT.tree(model.resolve(".prefetch")),
          "no .complete.json.tmp");
    } finally {
      deleteTree(mountPoint.resolve("c")); // the other tests need the tmpfs's space
    }
  }

  static void deleteTree(Path root) throws IOException {
    try (var all = Files.walk(root)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Writes {@code file} until its file system is full. */
  static void fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (var out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) {
        throw full;
      }
    }
  }

  static Map<String, String> env() {
    return server.environment();
  }

  @Test
  void fileThatCannotFitIsRefusedAndTheExistingCopyIsUntouched() throws IOException {
    Map<String, String> digests =
        DemoModel.upload(
            server.admin(),
            "models",
            "full/",
            List.of(
                DemoModel.File.single("config.json", 0),
                DemoModel.File.single("big.bin", 6 * MIB)));
    Path model = mountPoint.resolve("a/m");
    Files.createDirectories(model);
    Files.writeString(model.resolve("big.bin"), "an older version that must survive");

    Cli cli =
        Cli.run(
            env(),
            "--local-dir",
            mountPoint.resolve("a").toString(),
            "--model-uri",
            "s3://models/full/",
            "--model-name",
            "m",
            "--part-size",
            "1MiB",
            "--part-threshold",
            "1MiB",
            "--skip-space-check"); // past the up-front check, to test the per-file guard

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/full/big.bin: not enough space in "
                    + model
                    + ": the file needs "
                    + 6 * MIB
                    + " bytes, "),
        cli.err());
    assertEquals("an older version that must survive", Files.readString(model.resolve("big.bin")));
    assertEquals(digests.get("config.json"), PrefetchIT.digests(model).get("config.json"));
    assertEquals(List.of(), PrefetchIT.leftovers(model));
  }

  @Test
  void diskFillingUpMidWriteFailsTheFilesThatDoNotFitNamingTheirPaths() throws IOException {
    Map<String, String> digests =
        DemoModel.upload(
            server.admin(),
            "models",
            "fill/",
            List.of(
                DemoModel.File.single("one.bin", 3 * MIB),
                DemoModel.File.single("two.bin", 3 * MIB)));
    Path model = mountPoint.resolve("b/m");

    // Both files pass the per-file check (each fits alone) and are written at once: however their
    // ranges interleave, at least one runs out of space, mid-write or (a file is committed as soon
    // as its ranges land) while its commit writes the ETag sidecar, before its final name exists.
    Cli cli =
        Cli.run(
            env(),
            "--local-dir",
            mountPoint.resolve("b").toString(),
            "--model-uri",
            "s3://models/fill/",
            "--model-name",
            "m",
            "--part-size",
            "1MiB",
            "--part-threshold",
            "1MiB",
            "--skip-space-check");

    assertEquals(1, cli.status(), cli.toString());
    long failed = cli.err().lines().filter(l -> l.startsWith("FAILED s3://models/fill/")).count();
    assertTrue(failed >= 1, cli.err());
    cli.err()
        .lines()
        .filter(l -> l.startsWith("FAILED s3://models/fill/"))
        .forEach(
            line -> {
              assertTrue(
                  line.contains(": cannot write " + model + "/.")
                      || line.contains(": cannot commit " + model + "/"),
                  line);
              assertTrue(line.contains("No space left on device"), line);
            });
    assertTrue(
        cli.err().contains((2 - failed) + " verified, 0 already present, " + failed + " failed"),
        cli.err());
    if (!Files.exists(model)) {
      assertEquals(2, failed, "the folder this run created is removed only when nothing landed");
      return;
    }
    assertEquals(
        List.of(), PrefetchIT.leftovers(model), "the failed files' temporary bytes are removed");
    Map<String, String> landed = PrefetchIT.digests(model);
    assertEquals(2 - failed, landed.size());
    landed.forEach((path, sha) -> assertEquals(digests.get(path), sha, path));
  }
}
