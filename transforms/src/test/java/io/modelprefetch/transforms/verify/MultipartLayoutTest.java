package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MultipartLayoutTest {

  private static final long MIB = 1L << 20;

  @Test
  void candidatesAreEveryCommonSizeThatFitsMostCommonFirst() {
    // rclone's 43 parts of 5 MiB for 210 MiB + 777 bytes: only 5 MiB fits.
    assertEquals(List.of(5 * MIB), MultipartLayout.candidatePartSizes(210 * MIB + 777, 43));
    // 4 parts of 64 MiB (rclone --s3-chunk-size 64M on the same object): 64 MiB and 60..70 MiB;
    // common: 64 only.
    assertEquals(List.of(64 * MIB), MultipartLayout.candidatePartSizes(210 * MIB + 777, 4));
    // 100 MiB in 2 parts: 50 MiB <= P < 100 MiB; common ones, most likely first.
    assertEquals(List.of(64 * MIB, 50 * MIB), MultipartLayout.candidatePartSizes(100 * MIB, 2));
    assertEquals(List.of(), MultipartLayout.candidatePartSizes(100 * MIB, 3000));
    assertEquals(List.of(12_345L), MultipartLayout.candidatePartSizes(12_345, 1));
  }

  @Test
  void aKnownPartSizeComesFirstWhenItFits() {
    assertEquals(
        List.of(7 * MIB, 8 * MIB), MultipartLayout.candidatePartSizes(25 * MIB, 4, 7 * MIB));
    assertEquals(List.of(8 * MIB), MultipartLayout.candidatePartSizes(25 * MIB, 4, 8 * MIB));
    assertEquals(
        List.of(8 * MIB),
        MultipartLayout.candidatePartSizes(25 * MIB, 4, 5 * MIB)); // 5 parts, not 4
    assertEquals(List.of(8 * MIB), MultipartLayout.candidatePartSizes(25 * MIB, 4, 0));
  }

  @Test
  void wholeMibCandidatesSpanTheSizesThatFit() {
    // 4 parts make 25 MiB + 12,345 bytes for 6.25 MiB <= P < 8.34 MiB: 7 and 8 MiB.
    assertEquals(
        List.of(7 * MIB, 8 * MIB), MultipartLayout.wholeMibPartSizes(25 * MIB + 12_345, 4));
    assertEquals(
        List.of(
            13 * MIB, 14 * MIB, 15 * MIB, 16 * MIB, 17 * MIB, 18 * MIB, 19 * MIB, 20 * MIB,
            21 * MIB, 22 * MIB, 23 * MIB, 24 * MIB, 25 * MIB),
        MultipartLayout.wholeMibPartSizes(25 * MIB + 12_345, 2));
    assertEquals(List.of(25 * MIB), MultipartLayout.wholeMibPartSizes(25 * MIB, 1));
    assertEquals(
        MultipartLayout.MAX_MIB_CANDIDATES, MultipartLayout.wholeMibPartSizes(1L << 40, 2).size());
  }

  @Test
  void boundariesEndWithTheShortLastPart() {
    assertArrayEquals(
        new long[] {0, 8 * MIB, 16 * MIB, 24 * MIB, 25 * MIB + 12_345},
        MultipartLayout.partBoundaries(25 * MIB + 12_345, 8 * MIB));
    assertArrayEquals(new long[] {0, 10}, MultipartLayout.partBoundaries(10, 10));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> MultipartLayout.partBoundaries(10_001, 1));
    assertEquals("10001 bytes in parts of 1 are 10001 parts, more than S3's 10000", e.getMessage());
  }

  @Test
  void lcmAlignsRangesForSeveralLayouts() {
    assertEquals(40 * MIB, MultipartLayout.lcm(8 * MIB, 5 * MIB));
    assertEquals(80 * MIB, MultipartLayout.lcm(List.of(8 * MIB, 5 * MIB, 16 * MIB)));
    assertEquals(240 * MIB, MultipartLayout.lcm(List.of(8 * MIB, 5 * MIB, 16 * MIB, 15 * MIB)));
    assertEquals(MIB, MultipartLayout.gcd(15 * MIB, 64 * MIB));
    assertThrows(
        ArithmeticException.class, () -> MultipartLayout.lcm(Long.MAX_VALUE, Long.MAX_VALUE - 1));
    assertEquals(
        "gcd needs sizes >= 1, got 0 and 5",
        assertThrows(IllegalArgumentException.class, () -> MultipartLayout.gcd(0, 5)).getMessage());
  }

  @Test
  void onePassKeepsLikelyCandidatesWhoseLcmStaysSmall() {
    assertEquals(
        List.of(8 * MIB, 5 * MIB, 16 * MIB, 10 * MIB),
        MultipartLayout.onePassCandidates(
            List.of(8 * MIB, 5 * MIB, 16 * MIB, 64 * MIB, 10 * MIB, 20 * MIB),
            4,
            256 * MIB)); // 64 MiB would make 320 MiB
    assertEquals(
        List.of(8 * MIB, 5 * MIB),
        MultipartLayout.onePassCandidates(List.of(8 * MIB, 5 * MIB, 16 * MIB), 2, 1L << 40));
    assertEquals(List.of(), MultipartLayout.onePassCandidates(List.of(), 4, 1L << 40));
  }

  @Test
  void inferPartSizeStillNeedsExactlyOneCommonSize() {
    assertEquals(8 * MIB, MultipartLayout.inferPartSize(25 * MIB + 12_345, 4));
    assertEquals(0, MultipartLayout.inferPartSize(25 * MIB + 12_345, 2));
    assertEquals(5 * MIB, MultipartLayout.inferPartSize(210 * MIB + 777, 43));
  }
}
