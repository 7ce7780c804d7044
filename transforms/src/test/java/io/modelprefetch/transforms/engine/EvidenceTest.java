package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.plan.RangePlanner;
import io.modelprefetch.transforms.verify.Crc64;
import io.modelprefetch.transforms.verify.CrcAlgorithm;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.MultipartLayout;
import io.modelprefetch.transforms.verify.RangeDigests;
import io.modelprefetch.transforms.verify.StoredChecksum;
import io.modelprefetch.transforms.verify.StoredEvidence;
import io.modelprefetch.transforms.verify.Verification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of evidence, computed by {@link RangeDigests} over the ranges of real bytes and checked
 * by {@link Evidence}: the name it gives in the report, and the line a changed byte gives.
 */
class EvidenceTest {

  private static final long MIB = 1L << 20;

  /**
   * 24 MiB: three parts of 8 MiB (the aws CLI's) or of 10 MiB (boto3's default is 8, others' 10)
   * alike.
   */
  private static final byte[] BYTES = bytes(24 * MIB);

  @TempDir Path dir;

  private static byte[] bytes(long n) {
    byte[] b = new byte[(int) n];
    new Random(15).nextBytes(b);
    return b;
  }

  private static String hex(String algorithm, byte[] bytes, int from, int to) throws Exception {
    MessageDigest d = MessageDigest.getInstance(algorithm);
    d.update(bytes, from, to - from);
    return HexFormat.of().formatHex(d.digest());
  }

  private static byte[] raw(String algorithm, byte[] bytes, int from, int to) throws Exception {
    return HexFormat.of().parseHex(hex(algorithm, bytes, from, to));
  }

  private static String quoted(String etag) {
    return "\"" + etag + "\"";
  }

  /** The multipart ETag of {@code bytes} uploaded in parts of {@code partBytes}. */
  private static String multipartEtag(byte[] bytes, long partBytes) throws Exception {
    List<byte[]> parts = new ArrayList<>();
    for (long at = 0; at < bytes.length; at += partBytes) {
      parts.add(raw("MD5", bytes, (int) at, (int) Math.min(bytes.length, at + partBytes)));
    }
    return MultipartLayout.etagOf(parts);
  }

  private static String crc32(byte[] bytes, int from, int to) {
    CRC32 crc = new CRC32();
    crc.update(bytes, from, to - from);
    return Base64.getEncoder().encodeToString(CrcAlgorithm.CRC32.toBytes(crc.getValue()));
  }

  /** The aws CLI's composite CRC32 of {@code bytes} in parts of {@code partBytes}. */
  private static StoredChecksum compositeCrc32(byte[] bytes, long partBytes) {
    List<byte[]> parts = new ArrayList<>();
    for (long at = 0; at < bytes.length; at += partBytes) {
      CRC32 crc = new CRC32();
      crc.update(bytes, (int) at, (int) (Math.min(bytes.length, at + partBytes) - at));
      parts.add(CrcAlgorithm.CRC32.toBytes(crc.getValue()));
    }
    String value =
        Base64.getEncoder().encodeToString(StoredChecksum.Algorithm.CRC32.compositeOf(parts));
    return StoredChecksum.fromHeader(
        "x-amz-checksum-crc32", value + "-" + parts.size(), "COMPOSITE");
  }

  /**
   * Plans {@code stored}'s object as a run does (4 MiB ranges above 4 MiB, aligned where the plan
   * digests parts), lets each range compute its digests over {@code fetched} (the bytes that
   * arrived), writes them as the temporary file, and checks it.
   */
  private Evidence.Verdict fetchAndCheck(
      byte[] fetched, String etag, String sha256, StoredEvidence known, Verification level)
      throws IOException {
    ObjectRef object =
        new ObjectRef(
            new ModelKey("m", "s3://b/m/", dir.toString()),
            ObjectUri.Scheme.S3,
            "b",
            "m/w.safetensors",
            "w.safetensors",
            BYTES.length,
            etag,
            sha256,
            null);
    DigestPlan plan = DigestPlan.choose(object.sizeBytes(), etag, sha256 != null, known, level);
    long alignment = plan.alignmentBytes();
    List<RangePlanner.Range> split =
        alignment > 0
            ? RangePlanner.planAligned(BYTES.length, alignment, 4 * MIB)
            : RangePlanner.plan(BYTES.length, 4 * MIB, 4 * MIB);
    List<FetchedRange> ranges = new ArrayList<>();
    for (int i = 0; i < split.size(); i++) {
      RangePlanner.Range r = split.get(i);
      RangeTask task =
          new RangeTask(object, i, split.size(), r.first(), r.lastInclusive(), plan, false);
      RangeDigests digests =
          new RangeDigests(plan, BYTES.length, r.first(), r.lastInclusive(), false);
      digests.update(fetched, (int) r.first(), (int) r.length());
      ranges.add(
          new FetchedRange(task, r.length(), plan, digests.finish(), Map.of(), 0, null, false));
    }
    Path file = Files.write(dir.resolve("w.part"), fetched);
    return Evidence.check(object, ranges, file);
  }

  private static byte[] flipped() {
    byte[] copy = BYTES.clone();
    copy[copy.length / 2 + 3] ^= 0x5a;
    return copy;
  }

  private static StoredEvidence checksum(StoredChecksum stored) {
    return new StoredEvidence(stored, null, null, 0, null);
  }

  @Test
  void aFullObjectCrcIsCheckedFromTheRangesCrcsAloneAndAChangedByteFails() throws Exception {
    StoredEvidence known =
        checksum(
            StoredChecksum.fromHeader(
                "x-amz-checksum-crc32", crc32(BYTES, 0, BYTES.length), "FULL_OBJECT"));
    String etag = quoted(hex("MD5", BYTES, 0, BYTES.length));

    assertEquals(
        new Evidence.Verdict("crc32", List.of("size", "crc32"), null),
        fetchAndCheck(BYTES, etag, null, known, Verification.FULL),
        "no MD5 where a CRC the store keeps suffices");
    assertEquals(
        "crc32: expected "
            + known.checksum().base64()
            + " (x-amz-checksum-crc32), got "
            + crc32(flipped(), 0, BYTES.length),
        fetchAndCheck(flipped(), etag, null, known, Verification.FULL).mismatch());
  }

  @Test
  void allComputesEveryDigestTheStoreKeeps() throws Exception {
    StoredEvidence known =
        checksum(
            StoredChecksum.fromHeader(
                "x-amz-checksum-crc32", crc32(BYTES, 0, BYTES.length), "FULL_OBJECT"));

    assertEquals(
        new Evidence.Verdict("md5", List.of("size", "crc32", "md5"), null),
        fetchAndCheck(
            BYTES, quoted(hex("MD5", BYTES, 0, BYTES.length)), null, known, Verification.ALL));
  }

  @Test
  void aCompositeCrcIsCheckedForThePartSizeThatFitsWithoutKnowingIt() throws Exception {
    StoredEvidence known = checksum(compositeCrc32(BYTES, 8 * MIB));
    String etag = quoted(multipartEtag(BYTES, 8 * MIB));

    assertEquals(
        new Evidence.Verdict("crc32-composite", List.of("size", "crc32-composite"), null),
        fetchAndCheck(BYTES, etag, null, known, Verification.FULL));
    String mismatch = fetchAndCheck(flipped(), etag, null, known, Verification.FULL).mismatch();
    assertEquals(
        "crc32-composite: expected "
            + known.checksum().headerValue()
            + " (x-amz-checksum-crc32), got "
            + compositeCrc32(flipped(), 8 * MIB).headerValue()
            + " for 8 MiB parts, and no other of the 4 part sizes that"
            + " fit gives it",
        mismatch);
    assertEquals(
        List.of(8 * MIB, 10 * MIB),
        MultipartLayout.candidatePartSizes(BYTES.length, 3),
        "ambiguous");
  }

  @Test
  void aCompositeCrcOfAnUncommonWholeMibPartSizeIsFoundToo() throws Exception {
    StoredEvidence known = checksum(compositeCrc32(BYTES, 7 * MIB));

    assertEquals(
        "crc32-composite",
        fetchAndCheck(BYTES, quoted(multipartEtag(BYTES, 7 * MIB)), null, known, Verification.FULL)
            .verifiedBy());
  }

  @Test
  void tosCrc64IsCheckedFromTheRangesCrcs() throws Exception {
    StoredEvidence known = new StoredEvidence(null, Crc64.format(Crc64.of(BYTES)), null, 0, null);

    assertEquals(
        new Evidence.Verdict("crc64ecma", List.of("size", "crc64ecma"), null),
        fetchAndCheck(
            BYTES, quoted(multipartEtag(BYTES, 8 * MIB)), null, known, Verification.FULL));
    assertEquals(
        "crc64ecma: expected "
            + known.tosCrc64()
            + " (x-tos-hash-crc64ecma), got "
            + Crc64.format(Crc64.of(flipped())),
        fetchAndCheck(flipped(), "\"x\"", null, known, Verification.FULL).mismatch());
  }

  @Test
  void aFullObjectSha256OfTheStoreIsComputedInOrder() throws Exception {
    String sha = Base64.getEncoder().encodeToString(raw("SHA-256", BYTES, 0, BYTES.length));
    StoredEvidence known =
        checksum(StoredChecksum.fromHeader("x-amz-checksum-sha256", sha, "FULL_OBJECT"));

    assertEquals(
        new Evidence.Verdict("s3-sha256", List.of("size", "s3-sha256"), null),
        fetchAndCheck(
            BYTES, quoted(hex("MD5", BYTES, 0, BYTES.length)), null, known, Verification.FULL),
        "SHA-256 runs faster than MD5 here: the cheaper of the two");
    assertEquals(
        "s3-sha256: expected "
            + sha
            + " (x-amz-checksum-sha256), got "
            + Base64.getEncoder().encodeToString(raw("SHA-256", flipped(), 0, BYTES.length)),
        fetchAndCheck(flipped(), "\"x\"", null, known, Verification.FULL).mismatch());
  }

  @Test
  void aCompositeSha1IsCheckedPerPartForTheLayoutTheStoreTells() throws Exception {
    List<byte[]> parts = new ArrayList<>();
    for (int at = 0; at < BYTES.length; at += 8 * MIB) {
      parts.add(raw("SHA-1", BYTES, at, (int) Math.min(BYTES.length, at + 8 * MIB)));
    }
    StoredChecksum composite =
        StoredChecksum.fromHeader(
            "x-amz-checksum-sha1",
            Base64.getEncoder().encodeToString(StoredChecksum.Algorithm.SHA1.compositeOf(parts))
                + "-3",
            "COMPOSITE");
    StoredEvidence known = new StoredEvidence(composite, null, null, 8 * MIB, null);

    assertEquals(
        new Evidence.Verdict("s3-sha1-composite", List.of("size", "s3-sha1-composite"), null),
        fetchAndCheck(
            BYTES, quoted(multipartEtag(BYTES, 8 * MIB)), null, known, Verification.FULL));
  }

  @Test
  void aPlainMd5EtagIsCheckedAndAMismatchNamesBothValues() throws Exception {
    String md5 = hex("MD5", BYTES, 0, BYTES.length);

    assertEquals(
        new Evidence.Verdict("md5", List.of("size", "md5"), null),
        fetchAndCheck(BYTES, quoted(md5), null, StoredEvidence.NONE, Verification.FULL));
    assertEquals(
        "md5: expected " + md5 + " (ETag), got " + hex("MD5", flipped(), 0, BYTES.length),
        fetchAndCheck(flipped(), quoted(md5), null, StoredEvidence.NONE, Verification.FULL)
            .mismatch());
  }

  @Test
  void aMultipartMd5IsCheckedForEveryFittingPartSizeInOnePass() throws Exception {
    String etag = multipartEtag(BYTES, 10 * MIB); // 3 parts: 8 and 10 MiB both fit

    assertEquals(
        new Evidence.Verdict("multipart-md5", List.of("size", "multipart-md5"), null),
        fetchAndCheck(BYTES, quoted(etag), null, StoredEvidence.NONE, Verification.FULL));
    assertEquals(
        "multipart-md5: expected "
            + etag
            + " (ETag), got "
            + multipartEtag(flipped(), 8 * MIB)
            + " for 8 MiB parts, and no other of the 2 part sizes tried gives it (the bytes differ from the upload, or it"
            + " used another part size)",
        fetchAndCheck(flipped(), quoted(etag), null, StoredEvidence.NONE, Verification.FULL)
            .mismatch());
  }

  @Test
  void theUploadersMd5OfAMultipartObjectSparesAPassPerCandidateLayout() throws Exception {
    String md5 = hex("MD5", BYTES, 0, BYTES.length);
    StoredEvidence rclone = new StoredEvidence(null, null, md5, 0, null);

    assertEquals(
        new Evidence.Verdict("uploader-md5", List.of("size", "uploader-md5"), null),
        fetchAndCheck(
            BYTES, quoted(multipartEtag(BYTES, 10 * MIB)), null, rclone, Verification.FULL));
    assertEquals(
        "uploader-md5: expected "
            + md5
            + " (the uploader's metadata), got "
            + hex("MD5", flipped(), 0, BYTES.length),
        fetchAndCheck(flipped(), "\"x-3\"", null, rclone, Verification.FULL).mismatch());
  }

  @Test
  void theManifestSha256IsCheckedAtEveryLevelAndIsTheStrongest() throws Exception {
    String sha256 = hex("SHA-256", BYTES, 0, BYTES.length);
    StoredEvidence known =
        checksum(
            StoredChecksum.fromHeader(
                "x-amz-checksum-crc32", crc32(BYTES, 0, BYTES.length), "FULL_OBJECT"));

    assertEquals(
        new Evidence.Verdict("sha256", List.of("size", "crc32", "sha256"), null),
        fetchAndCheck(BYTES, "\"x\"", sha256, known, Verification.FULL));
    assertEquals(
        new Evidence.Verdict("sha256", List.of("size", "sha256"), null),
        fetchAndCheck(BYTES, "\"x\"", sha256, known, Verification.SIZE));
    String other = "0".repeat(64);
    assertEquals(
        "sha256: expected " + other + " (manifest), got " + sha256,
        fetchAndCheck(BYTES, "\"x\"", other, known, Verification.SIZE).mismatch());
  }

  @Test
  void withNothingElseOnlyTheSizeIsChecked() throws Exception {
    assertEquals(
        new Evidence.Verdict("size", List.of("size"), null),
        fetchAndCheck(BYTES, "\"not-an-md5\"", null, StoredEvidence.NONE, Verification.FULL));
    StoredEvidence known =
        checksum(
            StoredChecksum.fromHeader(
                "x-amz-checksum-crc32", crc32(BYTES, 0, BYTES.length), "FULL_OBJECT"));
    assertEquals(
        new Evidence.Verdict("size", List.of("size"), null),
        fetchAndCheck(flipped(), "\"x\"", null, known, Verification.SIZE),
        "--verify size computes no digest");
  }

  @Test
  void aWrongSizeFailsBeforeAnyDigest() throws Exception {
    ObjectRef object =
        new ObjectRef(
            new ModelKey("m", "s3://b/m/", dir.toString()),
            ObjectUri.Scheme.S3,
            "b",
            "m/a",
            "a",
            10,
            "\"x\"",
            null,
            null);
    RangeTask task = new RangeTask(object, 0, 1, 0, 9, DigestPlan.SIZE_ONLY, false);
    Path shorter = Files.write(dir.resolve("a.part"), new byte[5]);

    Evidence.Verdict verdict =
        Evidence.check(
            object, List.of(new FetchedRange(task, 5, null, null, null, 0, null, false)), shorter);
    assertEquals("size: expected 10 bytes, got 5", verdict.mismatch());
    assertNull(verdict.verifiedBy());
  }

  @Test
  void crc32cFromTheSdkIsCheckedLikeCrc32() throws Exception {
    CRC32C crc = new CRC32C();
    crc.update(BYTES, 0, BYTES.length);
    StoredEvidence known =
        checksum(
            StoredChecksum.fromHeader(
                "x-amz-checksum-crc32c",
                Base64.getEncoder().encodeToString(CrcAlgorithm.CRC32C.toBytes(crc.getValue())),
                null));

    assertEquals(
        "crc32c", fetchAndCheck(BYTES, "\"x\"", null, known, Verification.FULL).verifiedBy());
  }
}
