package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.runners.demo.DemoModel;
import io.modelprefetch.runners.demo.EmbeddedS3;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.storage.Journal;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination other users can write to (a hostPath, a shared volume, {@code
 * /tmp/aibrix/models/}), prepared by an attacker or left odd by an unlucky operator: links planted
 * below {@code --local-dir}, keys named like temporary files, names of up to 255 bytes, a report
 * path inside a model, leftovers of a killed run. No write ever goes through a link; what is
 * refused is named in one line; the decoy files the links point to are byte-identical afterwards.
 */
class HostileDestinationIT {

  static final String BUCKET = "models";
  static final long MIB = DemoModel.MIB;

  static final List<DemoModel.File> MODEL =
      List.of(
          DemoModel.File.single("config.json", 0),
          DemoModel.File.single("w.bin", 3 * MIB + 3),
          DemoModel.File.single("sub/x.bin", 4097));

  @TempDir static Path serverDir;
  static EmbeddedS3 server;
  static FaultProxy proxy;
  static Map<String, String> digests;

  @TempDir Path dest;
  @TempDir Path elsewhere;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.start(serverDir.resolve("data"));
    proxy = new FaultProxy(server.endpoint(), 17L);
    digests = DemoModel.upload(server.admin(), BUCKET, "dst/", MODEL);
  }

  @AfterAll
  static void stop() throws Exception {
    proxy.close();
    server.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    proxy.answers(null).beforeObjectGet(path -> {});
    proxy.resetCounters();
    Files.writeString(elsewhere.resolve("shadow"), "root:$6$secret:19000:0:99999:7:::\n");
    Files.createDirectories(elsewhere.resolve("etc"));
    Files.writeString(elsewhere.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  }

  static Map<String, String> env() {
    return server.environment(proxy.endpoint());
  }

  Cli run(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://models/dst/",
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "1MiB"));
    args.addAll(List.of(extra));
    return Cli.run(env(), args.toArray(String[]::new));
  }

  /** Every entry under {@code dir} (links not followed) with the SHA-256 of each regular file. */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(p -> !p.equals(dir)).toList()) {
        out.put(
            dir.relativize(p).toString(),
            Files.isSymbolicLink(p)
                ? "link to " + Files.readSymbolicLink(p)
                : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                    ? PrefetchIT.sha256(p)
                    : "folder");
      }
    }
    return out;
  }

  /** No entry below {@code model} is a link: no final name, marker or sidecar ends up as one. */
  static void assertNoLinkBelow(Path model) throws IOException {
    try (Stream<Path> all = Files.walk(model)) {
      assertEquals(List.of(), all.filter(Files::isSymbolicLink).toList());
    }
  }

  static String refusedLink(Path link, Path target) {
    return link
        + " is a symbolic link to "
        + target
        + "; model-prefetch writes nothing through links below --local-dir: remove the link";
  }

  ObjectRef object(String model, String relativePath) {
    String key = "dst/" + relativePath;
    var head = server.admin().headObject(b -> b.bucket(BUCKET).key(key));
    return new ObjectRef(
        new ModelKey(model, "s3://models/dst/", dest.resolve(model).toString()),
        ObjectUri.Scheme.S3,
        BUCKET,
        key,
        relativePath,
        head.contentLength(),
        head.eTag(),
        null,
        null);
  }

  @Test
  void aLinkedSubfolderFailsItsFileAndTheOthersLandWithNothingWrittenWhereItPoints()
      throws IOException {
    Path model = dest.resolve("m");
    Files.createDirectories(model);
    Files.createSymbolicLink(model.resolve("sub"), elsewhere.resolve("etc"));
    Map<String, String> decoys = snapshot(elsewhere);

    Cli cli = run();

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/dst/sub/x.bin: refused: "
                    + refusedLink(model.resolve("sub"), elsewhere.resolve("etc"))
                    + "\n"),
        cli.err());
    assertEquals(
        Map.of("config.json", digests.get("config.json"), "w.bin", digests.get("w.bin")),
        PrefetchIT.digests(model));
    assertEquals(decoys, snapshot(elsewhere));
    assertEquals(
        0, proxy.objectGets("/models/dst/sub/x.bin"), "a refused file is not even fetched");
  }

  @Test
  void aLinkedModelOrBookkeepingFolderRefusesThatModelAndTheOthersLand() throws IOException {
    Files.createDirectories(dest.resolve("cache-linked"));
    Files.createSymbolicLink(dest.resolve("cache-linked/.cache"), elsewhere.resolve("etc"));
    Files.createDirectories(dest.resolve("prefetch-linked"));
    Files.createSymbolicLink(dest.resolve("prefetch-linked/.prefetch"), elsewhere.resolve("etc"));
    Files.createSymbolicLink(dest.resolve("model-linked"), elsewhere.resolve("etc"));
    Files.createSymbolicLink(dest.resolve("dangling"), elsewhere.resolve("nothing-here"));
    Files.writeString(dest.resolve("a-file"), "not a folder");
    Files.createDirectories(dest.resolve("lock-folder/.prefetch/lock"));
    Files.createSymbolicLink(
        dest.resolve("same-as-ok"), dest.resolve("ok")); // two models, one folder
    Map<String, String> decoys = snapshot(elsewhere);
    StringBuilder manifest = new StringBuilder("models:\n");
    for (String name :
        List.of(
            "ok",
            "cache-linked",
            "prefetch-linked",
            "model-linked",
            "dangling",
            "a-file",
            "lock-folder",
            "same-as-ok")) {
      manifest.append("  - {uri: s3://models/dst/, name: ").append(name).append("}\n");
    }
    Path manifestFile = elsewhere.resolve("models.yaml");
    Files.writeString(manifestFile, manifest);
    decoys.put("models.yaml", PrefetchIT.sha256(manifestFile));

    Cli cli = Cli.run(env(), "--local-dir", dest.toString(), "--manifest", manifestFile.toString());

    assertEquals(1, cli.status(), cli.toString());
    assertEquals(dest.resolve("ok") + "\n", cli.out());
    assertEquals(digests, PrefetchIT.digests(dest.resolve("ok")));
    List<String> failed = cli.err().lines().filter(l -> l.startsWith("FAILED ")).toList();
    assertEquals(
        List.of(
            "FAILED s3://models/dst/: refused: "
                + refusedLink(dest.resolve("cache-linked/.cache"), elsewhere.resolve("etc")),
            "FAILED s3://models/dst/: refused: "
                + refusedLink(dest.resolve("prefetch-linked/.prefetch"), elsewhere.resolve("etc")),
            "FAILED s3://models/dst/: refused: "
                + refusedLink(dest.resolve("model-linked"), elsewhere.resolve("etc")),
            "FAILED s3://models/dst/: refused: "
                + refusedLink(dest.resolve("dangling"), elsewhere.resolve("nothing-here")),
            "FAILED s3://models/dst/: refused: "
                + dest.resolve("a-file")
                + " is a file, not a folder; remove it or move it away",
            "FAILED s3://models/dst/: refused: "
                + dest.resolve("lock-folder/.prefetch/lock")
                + " is a folder, not a file; remove it or move it away",
            "FAILED s3://models/dst/: refused: "
                + refusedLink(dest.resolve("same-as-ok"), dest.resolve("ok"))),
        failed);
    assertEquals(decoys, snapshot(elsewhere));
    assertFalse(Files.exists(elsewhere.resolve("nothing-here")));
    assertEquals("not a folder", Files.readString(dest.resolve("a-file")));
    assertEquals(
        List.of(".prefetch", ".prefetch/lock"), OperabilityIT.tree(dest.resolve("lock-folder")));
  }

  @Test
  void linksPlantedAtEveryNameARunWritesAreReplacedAndWhatTheyPointToIsUntouched()
      throws IOException {
    Path model = dest.resolve("m");
    ObjectRef config = object("m", "config.json");
    ObjectRef shard = object("m", "w.bin");
    Files.createDirectories(model.resolve(".cache/s3/download"));
    Files.createDirectories(model.resolve(".prefetch/parts"));
    Path shadow = elsewhere.resolve("shadow");
    List<Path> planted =
        List.of(
            model.resolve("config.json"),
            LocalFiles.metadata(config),
            LocalFiles.sidecarTemporary(config),
            LocalFiles.temporary(shard),
            LocalFiles.temporary(config),
            LocalFiles.metadata(shard),
            model.resolve(".prefetch/complete.json"),
            model.resolve(".prefetch/.complete.json.tmp"));
    for (Path link : planted) {
      Files.createSymbolicLink(link, shadow);
    }
    Files.createSymbolicLink(Journal.folder(shard), elsewhere.resolve("etc"));
    Map<String, String> decoys = snapshot(elsewhere);

    Cli cli = run("--report", dest.resolve("report.json").toString());

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(decoys, snapshot(elsewhere));
    assertNoLinkBelow(model);
    assertEquals(digests, PrefetchIT.digests(model));
    assertTrue(
        Files.isRegularFile(model.resolve(".prefetch/complete.json"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), PrefetchIT.leftovers(model));
  }

  @Test
  void aLinkAtTheLockRefusesTheModelAndWritesNothingThroughIt() throws IOException {
    Path model = dest.resolve("m");
    Files.createDirectories(model.resolve(".prefetch"));
    Files.createSymbolicLink(model.resolve(".prefetch/lock"), elsewhere.resolve("shadow"));
    Map<String, String> decoys = snapshot(elsewhere);

    Cli cli = run();

    assertEquals(1, cli.status(), cli.toString());
    assertTrue(
        cli.err()
            .contains(
                "FAILED s3://models/dst/: refused: "
                    + refusedLink(model.resolve(".prefetch/lock"), elsewhere.resolve("shadow"))
                    + "\n"),
        cli.err());
    assertEquals(decoys, snapshot(elsewhere));
    assertEquals(0, proxy.objectGets());
  }

  @Test
  void aKeyNamedLikeAnotherKeysOldTemporaryFileLandsAsItselfAndBothAreVerified()
      throws IOException {
    String etag =
        server.admin().headObject(b -> b.bucket(BUCKET).key("dst/w.bin")).eTag().replace("\"", "");
    String lookalike =
        ".w.bin." + etag.substring(0, 12) + ".prefetch-part"; // the name the old layout used
    // twins/w.bin has dst/w.bin's bytes (DemoModel's content depends on the path and size): the
    // same
    // ETag, so the twin's key is exactly the temporary name the old layout gave twins/w.bin.
    Map<String, String> uploaded =
        DemoModel.upload(
            server.admin(),
            BUCKET,
            "twins/",
            List.of(
                DemoModel.File.single("w.bin", 3 * MIB + 3),
                DemoModel.File.single(lookalike, 3 * MIB + 3)));
    assertEquals(digests.get("w.bin"), uploaded.get("w.bin"));

    Cli cli =
        Cli.run(
            env(),
            "--local-dir",
            dest.toString(),
            "--model-uri",
            "s3://models/twins/",
            "--model-name",
            "m",
            "--part-size",
            "1MiB",
            "--part-threshold",
            "1MiB",
            "--report",
            dest.resolve("report.json").toString());

    assertEquals(0, cli.status(), cli.toString());
    assertEquals(uploaded, PrefetchIT.digests(dest.resolve("m")));
    assertTrue(
        PrefetchIT.json(dest.resolve("report.json"))
            .path("objects")
            .findValuesAsText("verifiedBy")
            .stream()
            .allMatch(v -> v.equals("md5")));
  }

  @Test
  void namesOf243To255BytesLandAndAreFoundInPlaceByARerun() throws Exception {
    List<DemoModel.File> files = new ArrayList<>();
    for (int bytes : new int[] {243, 246, 247, 255}) {
      files.add(DemoModel.File.single("long/" + "n".repeat(bytes - 4) + ".bin", 1000 + bytes));
    }
    // S3Proxy's file-system store cannot hold such names itself (it adds a suffix while writing).
    try (EmbeddedS3 memory = EmbeddedS3.inMemory();
        FaultProxy counting = new FaultProxy(memory.endpoint(), 1L)) {
      Map<String, String> uploaded = DemoModel.upload(memory.admin(), BUCKET, "long/", files);
      String[] args = {
        "--local-dir", dest.toString(), "--model-uri", "s3://models/long/", "--model-name", "m"
      };

      Cli cli = Cli.run(memory.environment(counting.endpoint()), args);
      counting.resetCounters();
      Cli rerun = Cli.run(memory.environment(counting.endpoint()), args);

      assertEquals(0, cli.status(), cli.toString());
      assertEquals(uploaded, PrefetchIT.digests(dest.resolve("m")));
      assertEquals(0, rerun.status(), rerun.toString());
      assertTrue(
          rerun.err().contains("4 object(s): 0 verified, 4 already present, 0 failed"),
          rerun.err());
      assertEquals(0, counting.objectGets());
    }
    try (Stream<Path> all = Files.walk(dest.resolve("m"))) {
      assertEquals(
          List.of(),
          all.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
          "no litter");
    }
  }

  @Test
  void aReportInsideAModelFolderIsRefusedBeforeAnythingIsWritten() throws IOException {
    Files.createDirectories(dest.resolve("m"));
    Files.createSymbolicLink(dest.resolve("reports"), dest.resolve("m"));

    Cli inside = run("--report", dest.resolve("m/config.json").toString());
    Cli throughLink = run("--report", dest.resolve("reports/report.json").toString());

    assertEquals(2, inside.status(), inside.toString());
    assertEquals(
        "model-prefetch: --report '"
            + dest.resolve("m/config.json")
            + "' is inside the model folder "
            + dest.resolve("m")
            + ", where writing it could replace one of the model's files; write the report outside every"
            + " model folder, e.g. --report "
            + dest.resolve(".reports/report.json")
            + "\n",
        inside.err());
    assertEquals(2, throughLink.status(), throughLink.toString());
    assertTrue(
        throughLink
            .err()
            .startsWith(
                "model-prefetch: --report '"
                    + dest.resolve("reports/report.json")
                    + "' is inside the model folder "
                    + dest.resolve("m")
                    + ", "),
        throughLink.err());
    assertEquals(List.of("m", "reports"), OperabilityIT.tree(dest));
    assertEquals(0, proxy.objectGets());
  }

  @Test
  void aRerunAfterAnotherToolCompletedAKilledRunsModelRemovesTheKilledRunsLeftovers()
      throws Exception {
    AtomicInteger gets = new AtomicInteger();
    Semaphore gate = new Semaphore(0);
    proxy.beforeObjectGet(
        path -> {
          if (gets.incrementAndGet() > 3) {
            gate.acquireUninterruptibly();
          }
        });
    Path model = dest.resolve("m");
    ProcessBuilder builder =
        new ProcessBuilder(
                ChildJvm.java(),
                "-cp",
                ChildJvm.testClassPath(),
                "-Daws.disableEc2Metadata=true",
                Main.class.getName(),
                "--local-dir",
                dest.toString(),
                "--model-uri",
                "s3://models/dst/",
                "--model-name",
                "m",
                "--part-size",
                "1MiB",
                "--part-threshold",
                "1MiB",
                "--num-threads",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(elsewhere.resolve("killed.log").toFile());
    builder.environment().putAll(env());
    Process killed = builder.start();
    try {
      ReliabilityIT.waitFor(() -> ReliabilityIT.journaled(model) >= 1 || !killed.isAlive());
      assertTrue(killed.isAlive(), "the first run is held at the proxy");
      killed.destroyForcibly();
      assertTrue(killed.waitFor(30, TimeUnit.SECONDS));
    } finally {
      gate.release(10_000);
      proxy.beforeObjectGet(path -> {});
    }
    assertFalse(PrefetchIT.leftovers(model).isEmpty(), "the killed run left a temporary file");
    // The AIBrix downloader completes the model: every file and its ETag sidecar.
    for (DemoModel.File file : MODEL) {
      ObjectRef object = object("m", file.relativePath());
      Files.createDirectories(LocalFiles.target(object).getParent());
      Files.write(LocalFiles.target(object), DemoModel.content(file));
      Files.createDirectories(LocalFiles.metadata(object).getParent());
      Files.writeString(LocalFiles.metadata(object), object.etag());
    }
    proxy.resetCounters();

    Cli rerun = run();

    assertEquals(0, rerun.status(), rerun.toString());
    assertTrue(
        rerun.err().contains("3 object(s): 0 verified, 3 already present, 0 failed"), rerun.err());
    assertEquals(0, proxy.objectGets());
    assertEquals(digests, PrefetchIT.digests(model));
    assertEquals(
        List.of(),
        OperabilityIT.tree(model.resolve(".prefetch/parts")),
        "no temporary file or journal is left");
  }
}
