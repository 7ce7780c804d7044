package io.modelprefetch.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.engine.WholeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node-local staging folder of a Hadoop destination: this user's alone, never a planted one.
 */
class StagingFolderTest {

  @TempDir Path tmp;

  @Test
  void aMissingStagingFolderIsMadeForThisUserAlone() throws IOException {
    Path root = WholeFiles.privateRoot(tmp.resolve("staging"));

    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)));
    assertEquals(root, WholeFiles.privateRoot(root), "a later run takes it again");
  }

  @Test
  void aPlantedLinkOrAFolderOthersMayWriteIsRefused() throws IOException {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(tmp.resolve("linked"), elsewhere);
    Path open = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

    IOException linked =
        assertThrows(IOException.class, () -> WholeFiles.privateRoot(tmp.resolve("linked")));
    assertThrows(IOException.class, () -> WholeFiles.privateRoot(open));

    assertEquals(
        "the staging folder "
            + tmp.resolve("linked")
            + " is not a folder of this user's alone (a link, a file,"
            + " another user's or writable by others); remove it, it is made afresh",
        linked.getMessage());
  }
}
