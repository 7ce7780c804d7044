package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.verify.StoredChecksum.Algorithm;
import io.modelprefetch.transforms.verify.StoredChecksum.Type;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BlockCrcsTest {

  private static final int BLOCK = 1000; // small blocks keep the property runs fast

  @ParameterizedTest
  @EnumSource(
      value = CrcAlgorithm.class,
      names = {"CRC32", "CRC32C", "CRC64NVME"})
  void rangesFetchedInAnySplitJoinToTheOnePassBlocks(CrcAlgorithm algorithm) {
    SplittableRandom random = new SplittableRandom(11);
    byte[] object = new byte[25_123];
    random.nextBytes(object);
    BlockCrcs onePass = stream(algorithm, object, 0, object.length, 4096);
    for (int trial = 0; trial < 40; trial++) {
      int[] cuts = random.ints(random.nextInt(6), 0, object.length + 1).sorted().toArray();
      List<BlockCrcs> spans = new ArrayList<>();
      int from = 0;
      for (int cut : cuts) {
        spans.add(stream(algorithm, object, from, cut, 1 + random.nextInt(3000)));
        from = cut;
      }
      spans.add(stream(algorithm, object, from, object.length, 1 + random.nextInt(3000)));

      BlockCrcs joined = BlockCrcs.concat(spans);
      assertArrayEquals(
          onePass.pieceCrcs(), joined.pieceCrcs(), "cuts " + java.util.Arrays.toString(cuts));
      assertEquals(algorithm.of(object), joined.crc());
    }
  }

  @Test
  void crcOfAnySpanOfWholeBlocksAndTheTailEqualsTheDirectCrc() {
    byte[] object = new byte[10_500];
    new SplittableRandom(5).nextBytes(object);
    BlockCrcs blocks = stream(CrcAlgorithm.CRC32C, object, 0, object.length, 777);
    for (int from = 0; from <= 10_000; from += BLOCK) {
      for (int to = from; to <= 10_000; to += BLOCK) {
        assertEquals(
            CrcAlgorithm.CRC32C.of(object, from, to - from),
            blocks.crcOf(from, to),
            from + ".." + to);
      }
      assertEquals(
          CrcAlgorithm.CRC32C.of(object, from, object.length - from),
          blocks.crcOf(from, object.length));
    }
    assertEquals(11, blocks.pieceCrcs().length);
  }

  @Test
  void aSpanStartingInsideABlockAnswersFromItsStartAndFromBlockBoundaries() {
    byte[] object = new byte[5_000];
    new SplittableRandom(6).nextBytes(object);
    BlockCrcs span = stream(CrcAlgorithm.CRC64NVME, object, 1_500, 4_200, 100);

    assertEquals(4, span.pieceCrcs().length); // 1500-2000, 2000-3000, 3000-4000, 4000-4200
    assertEquals(CrcAlgorithm.CRC64NVME.of(object, 1_500, 2_700), span.crc());
    assertEquals(CrcAlgorithm.CRC64NVME.of(object, 2_000, 2_200), span.crcOf(2_000, 4_200));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> span.crcOf(1_500, 2_500));
    assertEquals(
        "byte 2500 is inside a 1000-byte block: a span's ends must be block boundaries, the span's start "
            + "or its end (4200)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> span.crcOf(1_000, 2_000));
    assertEquals("bytes [1000, 2000) are not within the span [1500, 4200)", e.getMessage());
  }

  @Test
  void compositeOfAnyLayoutEqualsTheCrcOfThePartCrcsComputedDirectly() {
    byte[] object = new byte[9_999];
    new SplittableRandom(8).nextBytes(object);
    BlockCrcs blocks = stream(CrcAlgorithm.CRC32, object, 0, object.length, 1 << 12);
    for (int partSize : new int[] {1_000, 2_000, 3_000, 5_000, 10_000, 20_000}) {
      List<byte[]> parts = new ArrayList<>();
      for (int at = 0; at < object.length; at += partSize) {
        parts.add(
            CrcAlgorithm.CRC32.toBytes(
                CrcAlgorithm.CRC32.of(object, at, Math.min(partSize, object.length - at))));
      }
      assertArrayEquals(
          Algorithm.CRC32.compositeOf(parts),
          blocks.compositeValue(partSize),
          "part size " + partSize);
    }
  }

  @Test
  void matchingPartSizesKeepsOnlyTheLayoutThatMadeTheCompositeAndSkipsThoseThatDoNotFit() {
    byte[] object = new byte[9_999];
    new SplittableRandom(9).nextBytes(object);
    BlockCrcs blocks = stream(CrcAlgorithm.CRC32C, object, 0, object.length, 3_333);
    String composite = Base64.getEncoder().encodeToString(blocks.compositeValue(3_000));
    StoredChecksum stored = new StoredChecksum(Algorithm.CRC32C, Type.COMPOSITE, 4, composite);

    // 4 parts of 3000 fit 9999; so do 4 of 3000..3332 (not whole blocks), 2000 does not fit.
    assertEquals(List.of(3_000L), blocks.matchingPartSizes(stored, List.of(2_000L, 3_000L)));
    byte[] corrupted = object.clone();
    corrupted[6_123] ^= 1;
    assertEquals(
        List.of(),
        stream(CrcAlgorithm.CRC32C, corrupted, 0, object.length, 999)
            .matchingPartSizes(stored, List.of(3_000L)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> blocks.matchingPartSizes(stored, List.of(3_100L)));
    assertEquals(
        "byte 3100 is inside a 1000-byte block: a span's ends must be block boundaries, the span's start "
            + "or its end (9999)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                blocks.matchingPartSizes(
                    new StoredChecksum(Algorithm.CRC32, Type.COMPOSITE, 4, composite),
                    List.of(3_000L)));
    assertEquals(
        "block CRCs of CRC32C check a COMPOSITE CRC32C checksum, not crc32 "
            + composite
            + "-4 (COMPOSITE)",
        e.getMessage());
  }

  @Test
  void aLayoutNeedsTheWholeObject() {
    byte[] object = new byte[3_000];
    BlockCrcs tail = stream(CrcAlgorithm.CRC32, object, 1_000, 3_000, 500);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> tail.compositeValue(1_000));
    assertEquals(
        "a layout needs the whole object's CRCs; these cover bytes [1000, 3000)", e.getMessage());
  }

  @Test
  void spansRebuiltFromTheirPieceCrcsAreChecked() {
    byte[] object = new byte[2_500];
    BlockCrcs span = stream(CrcAlgorithm.CRC32, object, 0, object.length, 64);
    BlockCrcs rebuilt = BlockCrcs.of(CrcAlgorithm.CRC32, BLOCK, 0, 2_500, span.pieceCrcs());
    assertEquals(span.crc(), rebuilt.crc());

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> BlockCrcs.of(CrcAlgorithm.CRC32, BLOCK, 0, 2_500, new long[2]));
    assertEquals(
        "a span of 2500 bytes from 0 in blocks of 1000 has 3 pieces, got 2 CRCs", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> BlockCrcs.concat(List.of(span, span)));
    assertEquals(
        "spans must be adjacent: one starts at 0 where the previous ends at 2500", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                BlockCrcs.concat(
                    List.of(span, stream(CrcAlgorithm.CRC32C, new byte[2_510], 2_500, 2_510, 10))));
    assertEquals(
        "cannot join CRC32C CRCs of 1000-byte blocks to CRC32 CRCs of 1000-byte blocks",
        e.getMessage());
  }

  @Test
  void anAccumulatorIsSpentByFinish() {
    BlockCrcs.Accumulator acc = BlockCrcs.accumulate(CrcAlgorithm.CRC32, BLOCK, 0);
    acc.update(new byte[10], 0, 10);
    BlockCrcs done = acc.finish();
    assertEquals(10, done.lengthBytes());
    assertEquals(
        "update after finish",
        assertThrows(IllegalStateException.class, () -> acc.update(new byte[1], 0, 1))
            .getMessage());
    assertEquals(0L, BlockCrcs.accumulate(CrcAlgorithm.CRC64NVME, BLOCK, 0).finish().crc());
  }

  /**
   * The block CRCs of {@code object[from, to)}, fed in chunks of {@code chunkBytes} as a stream
   * would.
   */
  static BlockCrcs stream(CrcAlgorithm algorithm, byte[] object, int from, int to, int chunkBytes) {
    return stream(algorithm, BLOCK, object, from, to, chunkBytes);
  }

  static BlockCrcs stream(
      CrcAlgorithm algorithm, long blockBytes, byte[] object, int from, int to, int chunkBytes) {
    BlockCrcs.Accumulator acc = BlockCrcs.accumulate(algorithm, blockBytes, from);
    for (int at = from; at < to; at += chunkBytes) {
      acc.update(object, at, Math.min(chunkBytes, to - at));
    }
    return acc.finish();
  }
}
