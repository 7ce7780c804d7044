package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys with non-ASCII letters and the process's locale, in a JVM of its own: Java names files in
 * the locale's character set, which a POSIX/C locale (common in containers) makes ASCII. There the
 * one file that cannot be named in UTF-8 fails by name and the others land; in a UTF-8 locale (what
 * the {@code ./prefetch} launcher sets) every file lands under its exact name.
 */
class LocaleIT {

  static final String BUCKET = "models";
  static final String NON_ASCII = "caf\u00e9/\u914d\u7f6e.json";

  @TempDir Path dest;
  static EmbeddedS3 server;
  static Map<String, String> digests;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.inMemory(); // holds any key, whatever this test JVM's own locale
    digests =
        DemoModel.upload(
            server.admin(),
            BUCKET,
            "loc/",
            List.of(
                DemoModel.File.single("config.json", 0),
                DemoModel.File.single(NON_ASCII, 0),
                DemoModel.File.single("sub/w.bin", 4097)));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  Cli run(String locale) throws Exception {
    Map<String, String> env = server.environment();
    env.put("LC_ALL", locale);
    return ChildJvm.runCli(
        env,
        dest,
        "--local-dir",
        dest.toString(),
        "--model-uri",
        "s3://models/loc/",
        "--model-name",
        "m");
  }

  @Test
  void inAPosixLocaleOnlyTheKeyThatCannotBeAUtf8FileNameFailsByName() throws Exception {
    Cli cli = run("C");

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/loc/"
                    + NON_ASCII
                    + ": refused: key 'loc/"
                    + NON_ASCII
                    + "' cannot be written as a UTF-8 file name: this JVM names files in ANSI_X3.4-1968 because its locale is not"
                    + " UTF-8; run it with LC_ALL=C.UTF-8 (the ./prefetch launcher sets it)\n"),
        cli.err());
    assertTrue(
        cli.err()
            .contains(
                "model-prefetch: 1 model(s), 3 object(s): 2 verified, 0 already present, 1 failed;"),
        cli.err());
    assertEquals(
        Map.of("config.json", digests.get("config.json"), "sub/w.bin", digests.get("sub/w.bin")),
        PrefetchIT.digests(dest.resolve("m")));
  }

  @Test
  void inAUtf8LocaleEveryFileLandsUnderItsExactName() throws Exception {
    Cli cli = run("C.UTF-8");

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("m")));
    assertTrue(Files.isRegularFile(dest.resolve("m").resolve(NON_ASCII)));
  }
}
