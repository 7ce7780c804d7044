package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modelprefetch.transforms.plan.RangePlanner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which digests a fetch computes, by what the store keeps and the verification asked for. */
class DigestPlanTest {

  private static final long MIB = 1L << 20;
  private static final String MD5_ETAG = "\"0123456789abcdef0123456789abcdef\"";
  private static final String THREE_PARTS = "\"0123456789abcdef0123456789abcdef-3\"";

  private static final StoredEvidence CRC32 =
      new StoredEvidence(
          StoredChecksum.fromHeader("x-amz-checksum-crc32", "EKGgJw==-3", "COMPOSITE"),
          null,
          null,
          0,
          null);
  private static final StoredEvidence SHA256 =
      new StoredEvidence(
          StoredChecksum.fromHeader(
              "x-amz-checksum-sha256", "2qFNFzFdi29aIMLCCD+Nnj5kbaiy+8+1m2AfigLsWIk=", null),
          null,
          null,
          0,
          null);
  private static final StoredEvidence RCLONE =
      new StoredEvidence(null, null, "038b0b95b146b0e1434a931ba304aa25", 0, null);

  private static DigestPlan plan(String etag, StoredEvidence known, Verification level) {
    return DigestPlan.choose(24 * MIB, etag, false, known, level);
  }

  @Test
  void fullTakesTheCheapestEvidenceTheStoreKeeps() {
    assertEquals(
        new DigestPlan(CRC32, CrcAlgorithm.CRC32, List.of(), List.of(), 0),
        plan(THREE_PARTS, CRC32, Verification.FULL),
        "a CRC: no MD5 of any layout");
    assertEquals(
        new DigestPlan(SHA256, null, List.of(DigestPlan.SHA256), List.of(), 0),
        plan(MD5_ETAG, SHA256, Verification.FULL),
        "SHA-256 runs faster than MD5 here");
    assertEquals(
        List.of(DigestPlan.MD5),
        plan(MD5_ETAG, StoredEvidence.NONE, Verification.FULL).wholeDigests());
    assertEquals(
        new DigestPlan(RCLONE, null, List.of(DigestPlan.MD5), List.of(), 0),
        plan(THREE_PARTS, RCLONE, Verification.FULL),
        "one whole MD5 rather than one per candidate layout");
    assertEquals(
        List.of(8 * MIB, 10 * MIB),
        plan(THREE_PARTS, StoredEvidence.NONE, Verification.FULL).partMd5Bytes(),
        "both layouts that fit, in one pass");
    assertEquals(
        List.of(8 * MIB),
        plan(THREE_PARTS, StoredEvidence.NONE.withPartBytes(8 * MIB), Verification.FULL)
            .partMd5Bytes(),
        "the layout the store told");
  }

  @Test
  void allTakesEveryEvidenceAndSizeNone() {
    DigestPlan all =
        plan(
            THREE_PARTS,
            new StoredEvidence(CRC32.checksum(), null, RCLONE.uploaderMd5Hex(), 0, null),
            Verification.ALL);
    assertEquals(CrcAlgorithm.CRC32, all.crc());
    assertEquals(List.of(DigestPlan.MD5), all.wholeDigests());
    assertEquals(List.of(8 * MIB, 10 * MIB), all.partMd5Bytes());
    assertEquals(40 * MIB, all.alignmentBytes(), "ranges hold whole parts of both layouts");

    assertFalse(plan(THREE_PARTS, CRC32, Verification.SIZE).computesDigests());
    assertEquals(
        List.of(DigestPlan.SHA256),
        DigestPlan.choose(24 * MIB, MD5_ETAG, true, CRC32, Verification.SIZE).wholeDigests(),
        "a manifest's sha256 is checked at every level");
  }

  @Test
  void everyLayoutThatFitsIsTriedWhenTheObjectIsOneRangeAtMost() {
    // The aws CLI with multipart_chunksize = 100MB: 101 MiB in 2 parts, which 64 and 100 MiB both
    // fit. Their lcm (1600 MiB) is above the alignment cap, but the object is one range whatever
    // the alignment: dropping 100 MiB failed the correct object after 3 attempts.
    String twoParts = "\"0123456789abcdef0123456789abcdef-2\"";
    DigestPlan full =
        DigestPlan.choose(101 * MIB, twoParts, false, StoredEvidence.NONE, Verification.FULL);
    assertEquals(List.of(64 * MIB, 100 * MIB), full.partMd5Bytes());
    assertEquals(
        List.of(new RangePlanner.Range(0, 101 * MIB - 1)),
        RangePlanner.planAligned(101 * MIB, full.alignmentBytes(), 4 * MIB),
        "one range holds both layouts' parts");
  }

  @Test
  void tosCrc64IsACrcLikeTheOthers() {
    StoredEvidence tos = new StoredEvidence(null, "9876543210", null, 0, null);
    assertEquals(
        new DigestPlan(tos, CrcAlgorithm.CRC64ECMA, List.of(), List.of(), 0),
        plan(MD5_ETAG, tos, Verification.FULL));
  }

  @Test
  void aCompositeShaNeedsItsLayout() {
    StoredEvidence composite =
        new StoredEvidence(
            StoredChecksum.fromHeader(
                "x-amz-checksum-sha1", "77eD33f3hmKuJbEK9yTmlbcvyTI=-3", null),
            null,
            null,
            0,
            null);
    assertEquals(
        0, plan(THREE_PARTS, composite, Verification.FULL).shaPartBytes(), "8 and 10 MiB both fit");
    assertEquals(
        8 * MIB,
        plan(THREE_PARTS, composite.withPartBytes(8 * MIB), Verification.FULL).shaPartBytes());
  }

  @Test
  void aRangeOffItsPartsIsAPlanningError() {
    DigestPlan parts =
        plan(THREE_PARTS, StoredEvidence.NONE.withPartBytes(8 * MIB), Verification.FULL);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new RangeDigests(parts, 24 * MIB, MIB, 9 * MIB - 1, false));
    assertEquals(
        "a range starting at byte 1048576 does not start a part of 8388608 bytes: ranges must be aligned to"
            + " the upload's parts to digest them",
        e.getMessage());
  }
}
