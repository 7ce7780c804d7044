package io.modelprefetch.transforms.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.modelprefetch.transforms.plan.RangePlanner.Range;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RangePlannerTest {

  private static final long MIB = 1L << 20;
  private static final long TIB = 1L << 40;

  /** Ranges start at 0, follow each other without gap or overlap, and end at size - 1. */
  private static void assertContiguousCover(List<Range> ranges, long sizeBytes) {
    long next = 0;
    for (Range r : ranges) {
      assertEquals(next, r.first(), "range " + r + " does not start where the previous one ended");
      assertEquals(r.lastInclusive() - r.first() + 1, r.length());
      next = r.lastInclusive() + 1;
    }
    assertEquals(sizeBytes, next);
  }

  @Test
  void emptyObjectGetsOneEmptyRange() {
    List<Range> ranges = RangePlanner.plan(0, 8 * MIB, 8 * MIB);
    assertEquals(List.of(new Range(0, -1)), ranges);
    assertEquals(0, ranges.get(0).length());
  }

  @Test
  void objectOfExactlyThresholdIsFetchedWhole() {
    assertEquals(
        List.of(new Range(0, 16 * MIB - 1)), RangePlanner.plan(16 * MIB, 16 * MIB, 4 * MIB));
  }

  @Test
  void objectOneByteAboveThresholdIsSplit() {
    List<Range> ranges = RangePlanner.plan(16 * MIB + 1, 16 * MIB, 8 * MIB);
    assertEquals(
        List.of(
            new Range(0, 8 * MIB - 1),
            new Range(8 * MIB, 16 * MIB - 1),
            new Range(16 * MIB, 16 * MIB)),
        ranges);
  }

  @Test
  void oneByteObjectIsOneRange() {
    assertEquals(List.of(new Range(0, 0)), RangePlanner.plan(1, 0, MIB));
  }

  @Test
  void objectOfExactlyOnePartAboveThresholdIsOneRange() {
    assertEquals(List.of(new Range(0, 8 * MIB - 1)), RangePlanner.plan(8 * MIB, 0, 8 * MIB));
  }

  @Test
  void onePartPlusOneByteGivesTwoRangesTheLastOfOneByte() {
    List<Range> ranges = RangePlanner.plan(8 * MIB + 1, 0, 8 * MIB);
    assertEquals(List.of(new Range(0, 8 * MIB - 1), new Range(8 * MIB, 8 * MIB)), ranges);
    assertEquals(1, ranges.get(1).length());
  }

  @Test
  void exactMultipleOfPartSizeHasNoRemainderRange() {
    List<Range> ranges = RangePlanner.plan(3 * MIB, 0, MIB);
    assertEquals(
        List.of(
            new Range(0, MIB - 1), new Range(MIB, 2 * MIB - 1), new Range(2 * MIB, 3 * MIB - 1)),
        ranges);
  }

  @Test
  void fiveTibObjectWith64MibPartsIsPlannedWithoutOverflow() {
    long size = 5 * TIB;
    long part = 64 * MIB;
    List<Range> ranges = RangePlanner.plan(size, 64 * MIB, part);
    assertEquals(81_920, ranges.size());
    assertEquals(new Range(0, part - 1), ranges.get(0));
    assertEquals(new Range(5_497_491_030_016L, 5_497_558_138_879L), ranges.get(ranges.size() - 1));
    assertContiguousCover(ranges, size);
  }

  @Test
  void fiveTibPlusOneByteEndsWithOneByteRange() {
    long size = 5 * TIB + 1;
    List<Range> ranges = RangePlanner.plan(size, 0, 64 * MIB);
    assertEquals(81_921, ranges.size());
    assertEquals(new Range(5 * TIB, 5 * TIB), ranges.get(ranges.size() - 1));
    assertContiguousCover(ranges, size);
  }

  @ParameterizedTest
  @CsvSource({
    "1, 0, 1048576, 1",
    "1048575, 0, 1048576, 1",
    "1048577, 0, 1048576, 2",
    "10000000, 0, 1048576, 10",
    "10485760, 0, 1048576, 10",
    "10485761, 0, 1048576, 11",
    "123456789, 1000, 3000000, 42",
    "123456789, 123456788, 8388608, 15",
    "123456789, 123456789, 8388608, 1",
  })
  void rangesAreContiguousAndCoverTheObject(
      long size, long threshold, long part, int expectedCount) {
    List<Range> ranges = RangePlanner.plan(size, threshold, part);
    assertEquals(expectedCount, ranges.size());
    assertContiguousCover(ranges, size);
    for (int i = 0; i < ranges.size() - 1; i++) {
      assertEquals(part, ranges.get(i).length());
    }
  }

  @Test
  void partSizeOfExactlyOneMibIsAccepted() {
    assertEquals(MIB, RangePlanner.checkPartSize(MIB));
    assertEquals(2, RangePlanner.plan(MIB + 1, 0, MIB).size());
  }

  @Test
  void partSizeBelowOneMibIsRefusedWithExactMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RangePlanner.plan(10, 0, 512));
    assertEquals("partSizeBytes must be >= 1048576 (1 MiB), was 512", e.getMessage());
    assertEquals(
        "partSizeBytes must be >= 1048576 (1 MiB), was 1048575",
        assertThrows(IllegalArgumentException.class, () -> RangePlanner.checkPartSize(MIB - 1))
            .getMessage());
  }

  @Test
  void partSizeIsCheckedEvenForEmptyObject() {
    assertEquals(
        "partSizeBytes must be >= 1048576 (1 MiB), was 0",
        assertThrows(IllegalArgumentException.class, () -> RangePlanner.plan(0, 0, 0))
            .getMessage());
  }

  @Test
  void negativeSizeIsRefused() {
    assertEquals(
        "sizeBytes must be >= 0, was -1",
        assertThrows(IllegalArgumentException.class, () -> RangePlanner.plan(-1, 0, MIB))
            .getMessage());
  }

  @Test
  void objectNeedingMoreThanIntMaxPartsIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RangePlanner.plan(Long.MAX_VALUE, 0, MIB));
    assertEquals(
        "an object of 9223372036854775807 bytes needs more than 2147483647 parts of 1048576 bytes;"
            + " raise the part size",
        e.getMessage());
  }

  @Test
  void sizeNearLongMaxIsFetchedWholeBelowThreshold() {
    assertEquals(
        List.of(new Range(0, Long.MAX_VALUE - 1)),
        RangePlanner.plan(Long.MAX_VALUE, Long.MAX_VALUE, MIB));
  }

  @Test
  void partSizeOfLongMaxGivesOneRange() {
    assertEquals(
        List.of(new Range(0, Long.MAX_VALUE - 1)),
        RangePlanner.plan(Long.MAX_VALUE, 0, Long.MAX_VALUE));
  }

  @Test
  void partEndNearLongMaxDoesNotOverflow() {
    long part = 1L << 62;
    List<Range> ranges =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5), () -> RangePlanner.plan(Long.MAX_VALUE, 0, part));
    assertEquals(List.of(new Range(0, part - 1), new Range(part, Long.MAX_VALUE - 1)), ranges);
  }
}
