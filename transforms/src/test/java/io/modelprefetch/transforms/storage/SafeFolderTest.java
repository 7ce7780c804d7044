package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing below a model folder is written, renamed or removed through a symbolic link. */
class SafeFolderTest {

  @TempDir Path root;
  @TempDir Path elsewhere;
  Path model;
  Path decoy;

  @BeforeEach
  void setUp() throws IOException {
    model = root.resolve("m");
    Files.createDirectories(model);
    decoy = elsewhere.resolve("decoy.txt");
    Files.writeString(decoy, "root-owned bytes that must survive");
  }

  /** Every file under {@code dir} with its content: what a test compares before and after. */
  static List<String> contents(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> !p.equals(dir))
          .sorted()
          .map(
              p -> {
                try {
                  return dir.relativize(p)
                      + (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                          ? "=" + Files.readString(p)
                          : "");
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .toList();
    }
  }

  @Test
  void aLinkedSubfolderIsRefusedNamingItAndNothingIsCreatedWhereItPoints() throws IOException {
    Files.createSymbolicLink(model.resolve("sub"), elsewhere);
    List<String> before = contents(elsewhere);

    UnsafePathException refused =
        assertThrows(UnsafePathException.class, () -> SafeFolder.open(model, "sub/deeper", true));

    assertEquals(
        model.resolve("sub")
            + " is a symbolic link to "
            + elsewhere
            + "; model-prefetch writes nothing through links below --local-dir: remove the link",
        refused.getMessage());
    assertEquals(before, contents(elsewhere));
  }

  @Test
  void aLinkedOrDanglingModelFolderIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("linked"), elsewhere);
    Files.createSymbolicLink(root.resolve("dangling"), root.resolve("nothing-here"));

    assertThrows(UnsafePathException.class, () -> SafeFolder.model(root.resolve("linked"), true));
    UnsafePathException dangling =
        assertThrows(
            UnsafePathException.class, () -> SafeFolder.model(root.resolve("dangling"), true));

    assertTrue(
        dangling.getMessage().startsWith(root.resolve("dangling") + " is a symbolic link to "),
        dangling.getMessage());
    assertFalse(
        Files.exists(root.resolve("nothing-here")), "a dangling link's target is not created");
  }

  @Test
  void aFileWhereAFolderBelongsIsRefused() throws IOException {
    Files.writeString(model.resolve("sub"), "a file");

    UnsafePathException refused =
        assertThrows(UnsafePathException.class, () -> SafeFolder.open(model, "sub", true));

    assertEquals(
        model.resolve("sub") + " is a file, not a folder; remove it or move it away",
        refused.getMessage());
  }

  @Test
  void aNewFileReplacesALinkPlantedAtItsNameAndLeavesWhatItPointedToAlone() throws IOException {
    Files.createSymbolicLink(model.resolve("x.tmp"), decoy);

    try (SafeFolder folder = SafeFolder.model(model, false)) {
      folder.writeNew("x.tmp", "new".getBytes(StandardCharsets.UTF_8), true);
    }

    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
    assertFalse(Files.isSymbolicLink(model.resolve("x.tmp")));
    assertEquals("new", Files.readString(model.resolve("x.tmp")));
  }

  @Test
  void openingAFileThroughALinkFails() throws IOException {
    Files.createSymbolicLink(model.resolve("part"), decoy);

    try (SafeFolder folder = SafeFolder.model(model, false)) {
      UnsafePathException refused =
          assertThrows(
              UnsafePathException.class,
              () -> folder.channel("part", StandardOpenOption.WRITE, StandardOpenOption.CREATE));
      assertEquals(
          model.resolve("part")
              + " is a symbolic link to "
              + decoy
              + "; model-prefetch writes nothing through links below --local-dir: remove the link",
          refused.getMessage());
    }
    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
  }

  @Test
  void removingALinkedFolderRemovesTheLinkNotWhatItPointsTo() throws IOException {
    Files.writeString(elsewhere.resolve("0"), "a file a root run must not delete");
    Files.createSymbolicLink(model.resolve("journal"), elsewhere);
    Files.createDirectories(model.resolve("real/nested"));
    Files.writeString(model.resolve("real/nested/1"), "ours");
    List<String> before = contents(elsewhere);

    try (SafeFolder folder = SafeFolder.model(model, false)) {
      folder.deleteTree("journal");
      folder.deleteTree("real");
    }

    assertEquals(before, contents(elsewhere));
    assertEquals(List.of(), contents(model));
  }

  @Test
  void aRenameReplacesALinkAtTheTargetName() throws IOException {
    Files.createSymbolicLink(model.resolve("config.json"), decoy);
    Files.writeString(model.resolve("part"), "{}");

    try (SafeFolder folder = SafeFolder.model(model, false)) {
      folder.move("part", folder, "config.json");
      assertTrue(folder.attributes("config.json").isRegularFile());
      assertNull(folder.attributes("part"));
    }

    assertEquals("{}", Files.readString(model.resolve("config.json")));
    assertEquals("root-owned bytes that must survive", Files.readString(decoy));
  }

  @Test
  void aModelIsRefusedForALinkOrAFileInThePlaceOfItsFolderOrBookkeeping() throws IOException {
    assertNull(SafeFolder.modelRefusal(model));
    assertNull(SafeFolder.modelRefusal(root.resolve("not-yet-created")));

    Files.createSymbolicLink(model.resolve(".cache"), elsewhere);
    assertEquals(
        model.resolve(".cache")
            + " is a symbolic link to "
            + elsewhere
            + "; model-prefetch writes nothing through links below --local-dir: remove the link",
        SafeFolder.modelRefusal(model));
    Files.delete(model.resolve(".cache"));

    Files.createDirectories(model.resolve(".prefetch/lock"));
    assertEquals(
        model.resolve(".prefetch/lock") + " is a folder, not a file; remove it or move it away",
        SafeFolder.modelRefusal(model));
    Files.delete(model.resolve(".prefetch/lock"));

    Files.createSymbolicLink(model.resolve(".prefetch/parts"), elsewhere);
    assertTrue(
        SafeFolder.modelRefusal(model)
            .startsWith(model.resolve(".prefetch/parts") + " is a symbolic link"));

    Files.writeString(root.resolve("file"), "not a folder");
    assertEquals(
        root.resolve("file") + " is a file, not a folder; remove it or move it away",
        SafeFolder.modelRefusal(root.resolve("file")));
  }
}
