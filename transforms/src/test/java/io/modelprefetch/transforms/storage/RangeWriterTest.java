package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.verify.DigestPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranges land byte for byte at their place, with direct I/O or buffered. */
class RangeWriterTest {

  @TempDir Path dir;

  /** An object of {@code size} random bytes whose temporary file is prepared. */
  private ObjectRef object(byte[] bytes) throws Exception {
    ObjectRef object = unprepared(bytes);
    LocalFiles.prepare(object);
    return object;
  }

  /** An object of {@code size} random bytes without a temporary file. */
  private ObjectRef unprepared(byte[] bytes) {
    new Random(11).nextBytes(bytes);
    return new ObjectRef(
        new ModelKey("m", "s3://b/m/", dir.toString()),
        ObjectUri.Scheme.S3,
        "b",
        "m/w.bin",
        "w.bin",
        bytes.length,
        "\"0123456789abcdef0123456789abcdef\"",
        null,
        null);
  }

  /** Writes {@code task}'s bytes in pieces of {@code piece} bytes, as a fetch does. */
  private static boolean write(RangeTask task, byte[] bytes, int piece, boolean directIo)
      throws Exception {
    try (RangeWriter out = RangeWriter.open(task, directIo)) {
      for (long at = task.first(); at <= task.lastInclusive(); at += piece) {
        int n = (int) Math.min(piece, task.lastInclusive() + 1 - at);
        out.write(bytes, (int) at, n);
      }
      out.finish();
      return out.isDirect();
    }
  }

  private static byte[] sha256(byte[] bytes) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }

  private static boolean fileSystemTakesDirectIo(Path dir) throws Exception {
    return RangeWriter.DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(dir).type());
  }

  @Test
  void largeRangesWithAnUnalignedTailLandIntactPastThePageCache() throws Exception {
    byte[] bytes = new byte[(int) (2 * RangeWriter.DIRECT_MIN_BYTES) + 12_345];
    ObjectRef object = object(bytes);
    int half = (int) RangeWriter.DIRECT_MIN_BYTES;
    RangeTask first = new RangeTask(object, 0, 2, 0, half - 1, DigestPlan.SIZE_ONLY, false);
    RangeTask last =
        new RangeTask(object, 1, 2, half, bytes.length - 1, DigestPlan.SIZE_ONLY, false);

    boolean direct = write(last, bytes, 1_000_003, true) & write(first, bytes, 65_536, true);

    assertArrayEquals(sha256(bytes), sha256(Files.readAllBytes(LocalFiles.temporary(object))));
    assumeTrue(fileSystemTakesDirectIo(dir), "direct I/O is only expected on ext4, xfs or btrfs");
    assertEquals(true, direct);
  }

  @Test
  void smallUnalignedOrOptedOutRangesAreWrittenBuffered() throws Exception {
    byte[] bytes = new byte[(int) (3 * RangeWriter.DIRECT_MIN_BYTES)];
    ObjectRef object = object(bytes);
    long big = RangeWriter.DIRECT_MIN_BYTES;
    RangeTask small = new RangeTask(object, 0, 3, 0, 4096, DigestPlan.SIZE_ONLY, false);
    RangeTask offBlock =
        new RangeTask(object, 1, 3, 4096 + 1, 4096 + big, DigestPlan.SIZE_ONLY, false);
    RangeTask optedOut =
        new RangeTask(object, 2, 3, 4096 + big + 1, bytes.length - 1, DigestPlan.SIZE_ONLY, false);

    assertFalse(write(small, bytes, 1000, true), "smaller than " + big + " bytes");
    assertFalse(write(offBlock, bytes, 1 << 20, true), "starts off a block boundary");
    assertFalse(write(optedOut, bytes, 1 << 20, false), "direct I/O not asked for");
    assertArrayEquals(sha256(bytes), sha256(Files.readAllBytes(LocalFiles.temporary(object))));
  }

  @Test
  void aSmallWholeObjectsFetchCreatesItsFileAndAnotherRangeNeedsItPrepared() throws Exception {
    byte[] small = new byte[(int) LocalFiles.CREATED_BY_FETCH_MAX_BYTES];
    ObjectRef whole = unprepared(small);
    assertTrue(LocalFiles.createdByFetch(whole, 1));

    write(
        new RangeTask(whole, 0, 1, 0, small.length - 1, DigestPlan.SIZE_ONLY, false),
        small,
        65_536,
        true);
    write(
        new RangeTask(whole, 0, 1, 0, small.length - 1, DigestPlan.SIZE_ONLY, false),
        small,
        65_536,
        true); // delivered twice

    assertArrayEquals(sha256(small), sha256(Files.readAllBytes(LocalFiles.temporary(whole))));
    Files.delete(LocalFiles.temporary(whole));
    assertFalse(LocalFiles.createdByFetch(whole, 2), "one of several ranges");
    assertFalse(
        LocalFiles.createdByFetch(unprepared(new byte[small.length + 1]), 1), "larger than 1 MiB");
    assertFalse(LocalFiles.createdByFetch(unprepared(new byte[0]), 1), "empty: nothing is fetched");
    LocalFiles.LocalWriteException missing =
        assertThrows(
            LocalFiles.LocalWriteException.class,
            () ->
                write(
                    new RangeTask(
                        whole, 0, 2, 0, small.length / 2 - 1, DigestPlan.SIZE_ONLY, false),
                    small,
                    65_536,
                    true));
    assertEquals(
        "cannot write " + LocalFiles.temporary(whole) + ": no such file or folder",
        missing.getMessage());
  }

  @Test
  void aRangeWrittenAgainReplacesItsBytesOnly() throws Exception {
    byte[] bytes = new byte[(int) (2 * RangeWriter.DIRECT_MIN_BYTES)];
    ObjectRef object = object(bytes);
    RangeTask second =
        new RangeTask(
            object, 1, 2, bytes.length / 2, bytes.length - 1, DigestPlan.SIZE_ONLY, false);
    byte[] stale = Arrays.copyOf(bytes, bytes.length);
    Arrays.fill(stale, bytes.length / 2, bytes.length, (byte) 7);
    write(
        new RangeTask(object, 0, 2, 0, bytes.length / 2 - 1, DigestPlan.SIZE_ONLY, false),
        bytes,
        1 << 20,
        true);
    write(second, stale, 1 << 20, true); // a first attempt with other bytes

    write(second, bytes, 1 << 20, true);

    assertArrayEquals(sha256(bytes), sha256(Files.readAllBytes(LocalFiles.temporary(object))));
  }
}
