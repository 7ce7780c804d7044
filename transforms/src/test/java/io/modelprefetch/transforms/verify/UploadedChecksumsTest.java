package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The checksums and ETags that real uploaders left on S3Proxy 4.1.0 for the seeded objects (values
 * as {@code HeadObject} with {@code x-amz-checksum-mode: ENABLED} returned them; commands in
 * docs/notes/s3-checksums.md), recomputed here from the same bytes.
 */
class UploadedChecksumsTest {

  private static final long MIB = 1L << 20;

  private static byte[] small;
  private static byte[] medium;

  @BeforeAll
  static void generate() {
    small = SeededObjects.small();
    medium = SeededObjects.medium();
  }

  @ParameterizedTest(name = "{0} {1} ({2})")
  @CsvSource(
      delimiter = '|',
      value = {
        "x-amz-checksum-crc32|v7h4HQ==|aws s3 cp, boto3 upload_file, put-object --checksum-algorithm CRC32",
        "x-amz-checksum-crc32c|RnSTPw==|SDK v2 PutObject CRC32C, chunked encoding off",
        "x-amz-checksum-crc64nvme|N3PAcyOPuWk=|SDK v2 PutObject CRC64NVME, chunked encoding off",
        "x-amz-checksum-sha256|2qFNFzFdi29aIMLCCD+Nnj5kbaiy+8+1m2AfigLsWIk=|put-object --checksum-algorithm SHA256",
        "x-amz-checksum-sha1|bEDU7PfKuJQT3aWkXFY1VpTnxKw=|put-object --checksum-algorithm SHA1",
      })
  void singlePutFullObjectChecksumsOfTheSmallObject(String header, String value, String uploader) {
    StoredChecksum stored = StoredChecksum.fromHeader(header, value, "FULL_OBJECT");

    assertTrue(stored.matches(stored.algorithm().checksumOf(small)), uploader);
  }

  @ParameterizedTest(name = "{0} {1} ({2})")
  @CsvSource(
      delimiter = '|',
      value = {
        "x-amz-checksum-crc64nvme|48JEVfNFAdc=|SDK v2 multipart, ChecksumType FULL_OBJECT, 6 parts of 5 MiB",
        "x-amz-checksum-crc32c|bmEefQ==|SDK v2 multipart, ChecksumType FULL_OBJECT, 6 parts of 5 MiB",
        "x-amz-checksum-crc32|+AdvlQ==|SDK v2 multipart, ChecksumType FULL_OBJECT, 4 parts of 8 MiB",
      })
  void multipartFullObjectCrcsFromRangesOfAnotherSize(
      String header, String value, String uploader) {
    StoredChecksum stored = StoredChecksum.fromHeader(header, value, "FULL_OBJECT");
    CrcAlgorithm crc = stored.algorithm().crc();
    // Ranges of 3 MiB + 7 bytes, unaligned to the upload's parts and to the blocks.
    List<BlockCrcs> ranges = new ArrayList<>();
    int range = (int) (3 * MIB + 7);
    for (int at = 0; at < medium.length; at += range) {
      ranges.add(
          BlockCrcsTest.stream(
              crc,
              BlockCrcs.DEFAULT_BLOCK_BYTES,
              medium,
              at,
              Math.min(medium.length, at + range),
              64 * 1024));
    }

    assertTrue(stored.matchesCrc(BlockCrcs.concat(ranges).crc()), uploader);
  }

  @ParameterizedTest(name = "{0} {1} ({2})")
  @CsvSource(
      delimiter = '|',
      value = {
        "x-amz-checksum-crc32|EKGgJw==-4|8|aws s3 cp, boto3 upload_file, SDK v2 multipart client (8 MiB defaults)",
        "x-amz-checksum-crc32|Ibsg1Q==-6|5|boto3 upload_file, TransferConfig(multipart_chunksize=5 MiB)",
        "x-amz-checksum-crc32c|d52a0A==-6|5|SDK v2 multipart, ChecksumType COMPOSITE, 5 MiB parts",
        "x-amz-checksum-crc64nvme|Tjfd2zMfyxY=-4|8|SDK v2 multipart, CRC64NVME COMPOSITE (S3Proxy accepts it; AWS refuses)",
      })
  void compositeCrcsMatchOnlyTheUploadsPartSize(
      String header, String value, long partMib, String uploader) {
    StoredChecksum stored = StoredChecksum.fromHeader(header, value, "COMPOSITE");
    BlockCrcs blocks =
        BlockCrcsTest.stream(
            stored.algorithm().crc(),
            BlockCrcs.DEFAULT_BLOCK_BYTES,
            medium,
            0,
            medium.length,
            1 << 16);

    List<Long> common = MultipartLayout.candidatePartSizes(medium.length, stored.partCount());
    List<Long> everyMib = MultipartLayout.wholeMibPartSizes(medium.length, stored.partCount());
    assertEquals(List.of(partMib * MIB), blocks.matchingPartSizes(stored, common), uploader);
    assertEquals(
        List.of(partMib * MIB),
        blocks.matchingPartSizes(stored, everyMib),
        uploader + " among " + everyMib);
  }

  @Test
  void aFlippedBitMatchesNoLayout() {
    byte[] corrupted = medium.clone();
    corrupted[20_000_000] ^= 0x10;
    StoredChecksum stored =
        StoredChecksum.fromHeader("x-amz-checksum-crc32", "EKGgJw==-4", "COMPOSITE");
    BlockCrcs blocks =
        BlockCrcsTest.stream(
            CrcAlgorithm.CRC32,
            BlockCrcs.DEFAULT_BLOCK_BYTES,
            corrupted,
            0,
            corrupted.length,
            1 << 16);

    assertEquals(
        List.of(),
        blocks.matchingPartSizes(stored, MultipartLayout.wholeMibPartSizes(corrupted.length, 4)));
  }

  @ParameterizedTest(name = "{0} {1} ({3})")
  @CsvSource(
      delimiter = '|',
      value = {
        "x-amz-checksum-sha256|+AbM4appOhbK7VjrOIx7J1651B26CE80OvWm4DIi0ig=-4|8|aws s3 cp --checksum-algorithm SHA256",
        "x-amz-checksum-sha1|77eD33f3hmKuJbEK9yTmlbcvyTI=-4|8|aws s3 cp --checksum-algorithm SHA1",
        "x-amz-checksum-sha256|TedGyZpsNv6l3jcqypwbtfFKhSRXDpx4Qo2V/pkaNCQ=-6|5|SDK v2 multipart SHA256 COMPOSITE",
      })
  void compositeShaIsTheDigestOfThePartDigests(
      String header, String value, long partMib, String uploader) {
    StoredChecksum stored = StoredChecksum.fromHeader(header, value, "COMPOSITE");
    List<byte[]> parts = new ArrayList<>();
    long[] boundaries = MultipartLayout.partBoundaries(medium.length, partMib * MIB);
    for (int k = 0; k + 1 < boundaries.length; k++) {
      MessageDigest part = stored.algorithm().newDigest();
      part.update(medium, (int) boundaries[k], (int) (boundaries[k + 1] - boundaries[k]));
      parts.add(part.digest());
    }

    assertEquals(stored.partCount(), parts.size());
    assertTrue(stored.matches(stored.algorithm().compositeOf(parts)), uploader);
  }

  @Test
  void multipartEtagsOfTheUploadersAndTheCandidatesOnePassCanTry() {
    // s3cmd's 15 MiB default makes 2 parts; 4 common sizes fit 2 parts of this size, most likely
    // first.
    List<Long> candidates = MultipartLayout.candidatePartSizes(medium.length, 2);
    assertEquals(List.of(16 * MIB, 15 * MIB, 20 * MIB, 25 * MIB), candidates);
    List<Long> onePass = MultipartLayout.onePassCandidates(candidates, 4, 1024 * MIB);
    assertEquals(
        List.of(16 * MIB, 15 * MIB, 20 * MIB), onePass); // 25 MiB would need 1200 MiB ranges
    assertEquals(240 * MIB, MultipartLayout.lcm(onePass));

    List<String> etags = new ArrayList<>();
    for (long partSize : onePass) {
      etags.add(multipartEtag(medium, partSize));
    }
    assertEquals("863c5082027a18d24d9de6e124568eb5-2", etags.get(1)); // s3cmd put
    assertEquals(1, etags.stream().filter("863c5082027a18d24d9de6e124568eb5-2"::equals).count());

    assertEquals(
        "3f10d2df40eb7bc678366c23193bd3d4-4",
        multipartEtag(medium, 8 * MIB)); // aws CLI, boto3, SDK
    assertEquals(
        "eea9473500d2b0f46cab414c540d223f-6", multipartEtag(medium, 5 * MIB)); // 5 MiB parts
  }

  private static String multipartEtag(byte[] object, long partSize) {
    List<byte[]> md5s = new ArrayList<>();
    long[] boundaries = MultipartLayout.partBoundaries(object.length, partSize);
    for (int k = 0; k + 1 < boundaries.length; k++) {
      MessageDigest md5 = Digests.md5();
      md5.update(object, (int) boundaries[k], (int) (boundaries[k + 1] - boundaries[k]));
      md5s.add(md5.digest());
    }
    return MultipartLayout.etagOf(md5s);
  }
}
