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
 * A destination that runs out of space: a 4 MiB tmpfs mounted by the test (root only; skipped
 * where mounting is not allowed). The failing file is named with its path, no temporary file is
 * left, and an existing file is not damaged.
 */
class DiskFullIT {

  static final long MIB = DemoModel.MIB;

  @TempDir static Path serverDir;
  @TempDir static Path mountPoint;
  static EmbeddedS3 server;
  static boolean mounted;

  @BeforeAll
  static void start() throws Exception {
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint.toString())
        .redirectErrorStream(true).start();
    mounted = mount.waitFor() == 0;
    Assumptions.assumeTrue(mounted, "mounting a tmpfs needs root: " + new String(mount.getInputStream().readAllBytes()));
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
  }

  static Map<String, String> env() {
    return server.environment();
  }

  @Test
  void fileThatCannotFitIsRefusedAndTheExistingCopyIsUntouched() throws IOException {
    Map<String, String> digests = DemoModel.upload(server.admin(), "models", "full/",
        List.of(DemoModel.File.single("config.json", 0), DemoModel.File.single("big.bin", 6 * MIB)));
    Path model = mountPoint.resolve("a/m");
    Files.createDirectories(model);
    Files.writeString(model.resolve("big.bin"), "an older version that must survive");

    Cli cli = Cli.run(env(), "--local-dir", mountPoint.resolve("a").toString(), "--model-uri", "s3://models/full/",
        "--model-name", "m", "--part-size", "1MiB", "--part-threshold", "1MiB",
        "--skip-space-check"); // past the up-front check, to test the per-file guard

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(cli.err().contains("FAILED s3://models/full/big.bin: not enough space in " + model + ": the file needs "
        + 6 * MIB + " bytes, "), cli.err());
    assertEquals("an older version that must survive", Files.readString(model.resolve("big.bin")));
    assertEquals(digests.get("config.json"), PrefetchIT.digests(model).get("config.json"));
    assertEquals(List.of(), PrefetchIT.leftovers(model));
  }

  @Test
  void diskFillingUpMidWriteFailsTheFilesThatDoNotFitNamingTheirPaths() throws IOException {
    Map<String, String> digests = DemoModel.upload(server.admin(), "models", "fill/",
        List.of(DemoModel.File.single("one.bin", 3 * MIB), DemoModel.File.single("two.bin", 3 * MIB)));
    Path model = mountPoint.resolve("b/m");

    // Both files pass the per-file check (each fits alone) and are written at once: however their
    // ranges interleave, at least one runs out of space, mid-write or (a file is committed as soon
    // as its ranges land) while its commit writes the ETag sidecar, before its final name exists.
    Cli cli = Cli.run(env(), "--local-dir", mountPoint.resolve("b").toString(), "--model-uri", "s3://models/fill/",
        "--model-name", "m", "--part-size", "1MiB", "--part-threshold", "1MiB", "--skip-space-check");

    assertEquals(1, cli.status(), cli.toString());
    long failed = cli.err().lines().filter(l -> l.startsWith("FAILED s3://models/fill/")).count();
    assertTrue(failed >= 1, cli.err());
    cli.err().lines().filter(l -> l.startsWith("FAILED s3://models/fill/")).forEach(line -> {
      assertTrue(line.contains(": cannot write " + model + "/.") || line.contains(": cannot commit " + model + "/"), line);
      assertTrue(line.contains("No space left on device"), line);
    });
    assertTrue(cli.err().contains((2 - failed) + " verified, 0 already present, " + failed + " failed"), cli.err());
    if (!Files.exists(model)) {
      assertEquals(2, failed, "the folder this run created is removed only when nothing landed");
      return;
    }
    assertEquals(List.of(), PrefetchIT.leftovers(model), "the failed files' temporary bytes are removed");
    Map<String, String> landed = PrefetchIT.digests(model);
    assertEquals(2 - failed, landed.size());
    landed.forEach((path, sha) -> assertEquals(digests.get(path), sha, path));
  }
}
