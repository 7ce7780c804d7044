package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ranges read back byte for byte, on block boundaries or not, past the page cache or through it.
 */
class ReadBackTest {

  @TempDir Path dir;

  /** A file of 3 MiB + 17 random bytes: its last block is partial. */
  private byte[] file(Path path) throws IOException {
    byte[] bytes = new byte[3 * 1024 * 1024 + 17];
    new Random(5).nextBytes(bytes);
    Files.write(path, bytes);
    return bytes;
  }

  private static byte[] read(ReadBack in, long first, long end) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.read(
        first,
        end,
        buffer -> {
          byte[] chunk = new byte[buffer.remaining()];
          buffer.get(chunk);
          out.write(chunk, 0, chunk.length);
        });
    return out.toByteArray();
  }

  @ParameterizedTest(name = "bytes {0} to {1}, direct {2}")
  @CsvSource({
    "0, 1048576, true", // one aligned range
    "1048576, 3145745, true", // the last range, ending in a partial block
    "17, 4113, true", // starts and ends inside blocks
    "262143, 786433, true", // crosses the read buffer's size off the block boundaries
    "3145744, 3145745, true", // the last byte
    "0, 3145745, false",
    "17, 4113, false"
  })
  void aRangeReadsBackByteForByte(long first, long end, boolean directIo) throws IOException {
    Path path = dir.resolve("w.bin");
    byte[] bytes = file(path);
    try (ReadBack in = ReadBack.open(path, directIo)) {
      assertArrayEquals(Arrays.copyOfRange(bytes, (int) first, (int) end), read(in, first, end));
    }
  }

  @Test
  void directReadsBypassThePageCacheOnABlockFileSystem() throws IOException {
    Path path = dir.resolve("w.bin");
    file(path);
    assumeTrue(
        RangeWriter.DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(dir).type()),
        "the test folder is on " + Files.getFileStore(dir).type() + ", which has no direct I/O");
    try (ReadBack direct = ReadBack.open(path, true);
        ReadBack buffered = ReadBack.open(path, false)) {
      assertEquals(true, direct.direct());
      assertFalse(buffered.direct());
    }
  }

  @Test
  void aFileShorterThanTheRangeFailsWithWhereItEnds() throws IOException {
    Path path = dir.resolve("w.bin");
    file(path);
    for (boolean directIo : new boolean[] {true, false}) {
      try (ReadBack in = ReadBack.open(path, directIo)) {
        IOException e =
            assertThrows(IOException.class, () -> in.read(3145000, 3145800, ByteBuffer::position));
        assertEquals("the file ends at byte 3145745, before 3145800", e.getMessage());
      }
    }
  }
}
