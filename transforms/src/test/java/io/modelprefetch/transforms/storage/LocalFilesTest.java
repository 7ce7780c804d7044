package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.verify.DigestPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a model's files are written and how: temporary files where no key can map, links planted
 * anywhere never followed, names up to 255 bytes, no litter after a failure.
 */
class LocalFilesTest {

  static final String ETAG = "\"0123456789abcdef0123456789abcdef\"";

  @TempDir Path root;
  @TempDir Path elsewhere;
  Path model;
  Path decoy;

  @BeforeEach
  void setUp() throws IOException {
    model = root.resolve("m");
    decoy = elsewhere.resolve("decoy.txt");
    Files.writeString(decoy, "root-owned bytes that must survive");
  }

  ObjectRef object(String relativePath, String content) {
    return new ObjectRef(
        new ModelKey("m", "s3://b/m/", model.toString()),
        ObjectUri.Scheme.S3,
        "b",
        "m/" + relativePath,
        relativePath,
        content.getBytes(StandardCharsets.UTF_8).length,
        ETAG,
        null,
        null);
  }

  /** Prepares and fills {@code object}'s temporary file with {@code content}, as a fetch does. */
  void fetched(ObjectRef object, String content) throws IOException {
    LocalFiles.prepare(object);
    Files.writeString(LocalFiles.temporary(object), content);
  }

  @Test
  void temporaryFilesLiveInTheModelsOwnFolderWhereNoKeyMaps() {
    ObjectRef object = object("sub/model.safetensors", "x");

    Path temporary = LocalFiles.temporary(object);

    assertEquals(model.resolve(".prefetch/parts"), temporary.getParent());
    assertTrue(
        temporary.getFileName().toString().matches("[0-9a-f]{32}-0123456789ab\\.prefetch-part"),
        temporary.toString());
    assertEquals(
        temporary.resolveSibling(temporary.getFileName() + ".journal"), Journal.folder(object));
    // the old layout's name, next to the target, is an ordinary key now: it has a temporary of its
    // own
    ObjectRef lookalike = object("sub/.model.safetensors.0123456789ab.prefetch-part", "y");
    assertEquals(
        model.resolve("sub/.model.safetensors.0123456789ab.prefetch-part"),
        LocalFiles.target(lookalike));
    assertFalse(LocalFiles.temporary(lookalike).equals(LocalFiles.temporary(object)));
  }

  @Test
  void aCommitLandsTheBytesUnderTheFinalNameWithItsSidecar() throws IOException {
    ObjectRef object = object("sub/config.json", "{\"a\": 1}");
    fetched(object, "{\"a\": 1}");

    LocalFiles.commit(object);

    assertEquals("{\"a\": 1}", Files.readString(model.resolve("sub/config.json")));
    assertEquals(
        ETAG, Files.readString(model.resolve(".cache/s3/download/sub/config.json.metadata")));
    assertTrue(LocalFiles.isPresent(object));
    assertEquals(List.of(), SafeFolderTest.contents(model.resolve(".prefetch/parts")));
    assertEquals(
        List.of("config.json.metadata=" + ETAG),
        SafeFolderTest.contents(model.resolve(".cache/s3/download/sub")));
  }

  @Test
  void linksPlantedAtTheFinalNameAndTheSidecarsAreReplacedNeverFollowed() throws IOException {
    ObjectRef object = object("config.json", "{}");
    Files.createDirectories(model.resolve(".cache/s3/download"));
    Files.createSymbolicLink(model.resolve("config.json"), decoy);
    Files.createSymbolicLink(model.resolve(".cache/s3/download/config.json.metadata"), decoy);
    String sidecarTemporary = "." + LocalFiles.pathHash("config.json") + ".tmp";
    Files.createSymbolicLink(model.resolve(".cache/s3/download/" + sidecarTemporary), decoy);
    assertFalse(LocalFiles.isPresent(object), "a link at the final name is not a file in place");

    fetched(object, "{}");
    LocalFiles.commit(object);

    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
    assertFalse(Files.isSymbolicLink(model.resolve("config.json")));
    assertFalse(Files.isSymbolicLink(model.resolve(".cache/s3/download/config.json.metadata")));
    assertEquals("{}", Files.readString(model.resolve("config.json")));
    assertFalse(
        Files.exists(
            model.resolve(".cache/s3/download/" + sidecarTemporary), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aLinkPlantedAtTheTemporaryPathIsRemovedAndTheFileCreatedAfresh() throws IOException {
    ObjectRef object = object("w.bin", "0123456789");
    Files.createDirectories(model.resolve(".prefetch/parts"));
    Files.createSymbolicLink(LocalFiles.temporary(object), decoy);

    LocalFiles.prepare(object);

    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
    assertFalse(Files.isSymbolicLink(LocalFiles.temporary(object)));
    assertEquals(10, Files.size(LocalFiles.temporary(object)));
  }

  @Test
  void aFileBehindALinkedFolderIsNeitherPresentNorWritable() throws IOException {
    ObjectRef object = object("sub/w.bin", "0123");
    Files.createDirectories(model);
    Files.createSymbolicLink(model.resolve("sub"), elsewhere);
    Files.writeString(elsewhere.resolve("w.bin"), "0123");
    Files.createDirectories(model.resolve(".cache/s3/download/sub"));
    Files.writeString(model.resolve(".cache/s3/download/sub/w.bin.metadata"), ETAG);

    assertEquals(
        model.resolve("sub")
            + " is a symbolic link to "
            + elsewhere
            + "; model-prefetch writes nothing through links below --local-dir: remove the link",
        LocalFiles.unsafe(object));
    assertFalse(LocalFiles.isPresent(object));
    fetched(object, "abcd");
    UnsafePathException refused =
        assertThrows(UnsafePathException.class, () -> LocalFiles.commit(object));
    assertEquals(LocalFiles.unsafe(object), refused.getMessage());
    assertEquals("0123", Files.readString(elsewhere.resolve("w.bin")));
    assertEquals(
        List.of("w.bin.metadata=" + ETAG),
        SafeFolderTest.contents(model.resolve(".cache/s3/download/sub")),
        "no temporary sidecar is left behind");
  }

  @Test
  void aNameOf255BytesLandsWithItsSidecarKeptInTheModelsBookkeeping() throws IOException {
    String name =
        "n".repeat(243) + ".safetensors"; // 255 bytes: "<name>.metadata.tmp" would not fit
    ObjectRef object = object(name, "weights");
    fetched(object, "weights");

    LocalFiles.commit(object);

    assertEquals("weights", Files.readString(model.resolve(name)));
    Path sidecar = LocalFiles.metadata(object);
    assertEquals(model.resolve(".prefetch/sidecars"), sidecar.getParent());
    assertEquals(ETAG, Files.readString(sidecar));
    assertTrue(LocalFiles.isPresent(object));
    ObjectRef shorter =
        object("n".repeat(240) + ".bin", "w"); // "<name>.metadata" fits: the AIBrix sidecar
    assertEquals(
        model.resolve(".cache/s3/download/" + "n".repeat(240) + ".bin.metadata"),
        LocalFiles.metadata(shorter));
  }

  @Test
  void aFailedCommitLeavesNoTemporarySidecar() throws IOException {
    ObjectRef object = object("config.json", "{}");
    fetched(object, "{}");
    Files.createDirectories(
        model.resolve("config.json/in-the-way")); // a folder where the file goes

    IOException failed = assertThrows(IOException.class, () -> LocalFiles.commit(object));

    assertTrue(failed.getMessage().contains("ectory"), failed.getMessage());
    assertEquals(List.of(), SafeFolderTest.contents(model.resolve(".cache/s3/download")));
  }

  @Test
  void theJournalIsNeverWrittenOrClearedThroughALink() throws IOException {
    ObjectRef object = object("w.bin", "0123456789");
    LocalFiles.prepare(object);
    Files.writeString(elsewhere.resolve("0"), "a file a root run must not delete");
    Files.createSymbolicLink(Journal.folder(object), elsewhere);
    RangeTask task = new RangeTask(object, 0, 2, 0, 4, DigestPlan.SIZE_ONLY, false);

    assertThrows(
        LocalFiles.LocalWriteException.class,
        () -> Journal.record(new FetchedRange(task, 5, null, null, Map.of(), 1, null, false)));
    assertEquals(
        List.of(),
        Journal.resumable(
            List.of(task, new RangeTask(object, 1, 2, 5, 9, DigestPlan.SIZE_ONLY, false))));
    Journal.clear(object);

    assertFalse(Files.exists(Journal.folder(object), LinkOption.NOFOLLOW_LINKS));
    assertEquals(
        List.of(
            "0=a file a root run must not delete", "decoy.txt=root-owned bytes that must survive"),
        SafeFolderTest.contents(elsewhere));
  }

  @Test
  void theMarkerReplacesLinksAtItsNamesAndSweepsLeftoversOfFilesInPlace() throws IOException {
    ObjectRef inPlace = object("config.json", "{}");
    ObjectRef elsewhereInTheListing = object("other.bin", "x");
    LocalFiles.prepare(
        inPlace); // a killed run's temporary file and journal, for a file another tool completed
    Files.createDirectories(Journal.folder(inPlace));
    Files.writeString(Journal.folder(inPlace).resolve("0"), "0 1 - - - - -");
    LocalFiles.prepare(elsewhereInTheListing);
    Files.writeString(LocalFiles.parts(inPlace.model()).resolve("notes.txt"), "not ours");
    Files.createSymbolicLink(model.resolve(".prefetch/complete.json"), decoy);
    Files.createSymbolicLink(model.resolve(".prefetch/.complete.json.tmp"), decoy);
    FileResult present = FileResult.present(inPlace);

    CompletionMarker.write(
        inPlace.model(), List.of(present), Instant.parse("2026-12-02T00:00:00Z"));

    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
    assertTrue(
        Files.isRegularFile(model.resolve(".prefetch/complete.json"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(
        Files.readString(model.resolve(".prefetch/complete.json"))
            .contains("\"path\" : \"config.json\""));
    assertFalse(
        Files.exists(model.resolve(".prefetch/.complete.json.tmp"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(
        List.of(LocalFiles.temporaryName(elsewhereInTheListing), "notes.txt"),
        Files.list(LocalFiles.parts(inPlace.model()))
            .map(p -> p.getFileName().toString())
            .sorted()
            .toList(),
        "only this tool's leftovers of the files in place go");
  }

  @Test
  void aLockPlantedAsALinkOrAFolderIsRefusedInOneLine() throws IOException {
    Files.createDirectories(model.resolve(".prefetch"));
    Files.createSymbolicLink(model.resolve(".prefetch/lock"), decoy);

    ModelLock.LockException linked =
        assertThrows(ModelLock.LockException.class, () -> ModelLock.tryAcquire(model));
    assertEquals(
        model.resolve(".prefetch/lock")
            + " is a symbolic link to "
            + decoy
            + "; model-prefetch writes nothing through links below --local-dir: remove the link",
        linked.getMessage());
    assertEquals("root-owned bytes that must survive", Files.readString(decoy));

    Files.delete(model.resolve(".prefetch/lock"));
    Files.createDirectories(model.resolve(".prefetch/lock"));
    ModelLock.LockException folder =
        assertThrows(ModelLock.LockException.class, () -> ModelLock.tryAcquire(model));
    assertEquals(
        model.resolve(".prefetch/lock") + " is a folder, not a file; remove it or move it away",
        folder.getMessage());
    assertNull(SafeFolder.modelRefusal(root.resolve("other")));
  }
}
