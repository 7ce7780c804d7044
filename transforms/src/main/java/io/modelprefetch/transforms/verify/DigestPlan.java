package io.modelprefetch.transforms.verify;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the fetch of one object computes while its bytes pass, chosen from what the store keeps
 * ({@link StoredEvidence}), the ETag, the manifest and the verification asked for; and the values
 * it is checked against afterwards ({@code Evidence}).
 *
 * <p>{@link Verification#FULL} checks every object by at least one digest the store keeps, the
 * cheapest that suffices. Measured here on one core: CRC-32 and CRC-32C run at tens of GB/s (JDK
 * intrinsics), CRC-64 at about 2.3 GB/s, SHA-1 and SHA-256 at about 1.8 GB/s, MD5 at 0.75 GB/s. So:
 * a CRC the store keeps (an S3 checksum, full-object or composite, or TOS's CRC-64); else its
 * SHA-256 or SHA-1 (full-object, or composite with a known layout); else the ETag's MD5 (a single
 * PUT); else the multipart MD5 for the one part size that fits, or the uploader's MD5 of the whole
 * object when several fit; else the part MD5s of up to {@value #MAX_MD5_CANDIDATES} fitting part
 * sizes, in one pass; else the size alone. {@link Verification#ALL} computes every one of them. A
 * manifest's sha256 is always computed, and {@link Verification#SIZE} computes nothing else.
 *
 * @param known what the store keeps; the values checked against
 * @param crc the CRC each range computes per {@link BlockCrcs#DEFAULT_BLOCK_BYTES} block, or null
 * @param wholeDigests the JDK digests ({@code MD5}, {@code SHA-256}, {@code SHA-1}) of the whole
 *     object, computed in byte order
 * @param partMd5Bytes part sizes whose part MD5s each range computes; ranges then start on a
 *     multiple of {@link #alignmentBytes}
 * @param shaPartBytes the part size of the store's composite SHA-256 or SHA-1, whose parts' digests
 *     each range computes; 0 for none
 */
public record DigestPlan(
    StoredEvidence known,
    @Nullable CrcAlgorithm crc,
    List<String> wholeDigests,
    List<Long> partMd5Bytes,
    long shaPartBytes)
    implements Serializable {

  public static final String MD5 = "MD5";
  public static final String SHA256 = "SHA-256";
  public static final String SHA1 = "SHA-1";

  /** The most part sizes whose multipart MD5 one pass computes. */
  public static final int MAX_MD5_CANDIDATES = 4;

  /**
   * The largest range alignment for several part sizes at once (their least common multiple), for
   * an object larger than it; an object no larger is one range at most whatever the alignment, so
   * every candidate is kept for it.
   */
  public static final long MAX_ALIGNMENT_BYTES = 1L << 30;

  public DigestPlan {
    wholeDigests = List.copyOf(wholeDigests);
    partMd5Bytes = List.copyOf(partMd5Bytes);
  }

  /** Computes nothing: the size alone is checked. */
  public static final DigestPlan SIZE_ONLY =
      new DigestPlan(StoredEvidence.NONE, null, List.of(), List.of(), 0);

  /**
   * The plan for an object of {@code sizeBytes} with {@code etag}, given what the store keeps.
   *
   * @param manifestSha256 whether the manifest gives the file's sha256
   */
  public static DigestPlan choose(
      long sizeBytes,
      String etag,
      boolean manifestSha256,
      StoredEvidence known,
      Verification level) {
    List<String> whole = new ArrayList<>();
    if (manifestSha256) {
      whole.add(SHA256);
    }
    if (level == Verification.SIZE) {
      return new DigestPlan(known, null, whole, List.of(), 0);
    }
    boolean all = level == Verification.ALL;
    StoredChecksum stored = known.checksum();
    CrcAlgorithm crc =
        stored != null && stored.algorithm().crc() != null
            ? stored.algorithm().crc()
            : known.tosCrc64() != null ? CrcAlgorithm.CRC64ECMA : null;
    boolean enough = crc != null;
    long shaPart = 0;
    if (stored != null && stored.algorithm().crc() == null && (all || !enough)) {
      if (!stored.composite()) {
        addOnce(whole, stored.algorithm() == StoredChecksum.Algorithm.SHA256 ? SHA256 : SHA1);
        enough = true;
      } else {
        shaPart = exactLayout(sizeBytes, stored.partCount(), known.partBytes());
        enough |= shaPart > 0;
      }
    }
    if (Etags.isPlainMd5(etag) && (all || !enough)) {
      addOnce(whole, MD5);
      enough = true;
    }
    List<Long> partMd5 = List.of();
    int parts = MultipartLayout.partCount(etag);
    if (parts > 1 && (all || !enough)) {
      long exact = exactLayout(sizeBytes, parts, known.partBytes());
      if (exact > 0) {
        partMd5 = List.of(exact);
        enough = true;
      } else if (known.uploaderMd5Hex() != null && !all) {
        addOnce(whole, MD5); // one MD5 of the whole object costs less than one per candidate layout
        enough = true;
      } else {
        partMd5 =
            MultipartLayout.onePassCandidates(
                MultipartLayout.candidatePartSizes(sizeBytes, parts),
                MAX_MD5_CANDIDATES,
                sizeBytes <= MAX_ALIGNMENT_BYTES ? Long.MAX_VALUE : MAX_ALIGNMENT_BYTES);
        enough |= !partMd5.isEmpty();
      }
    }
    if (known.uploaderMd5Hex() != null && (all || !enough)) {
      addOnce(whole, MD5);
    }
    return new DigestPlan(known, crc, whole, partMd5, shaPart);
  }

  /**
   * The part size of a multipart upload of {@code parts} parts when it is certain: the store said
   * it, or exactly one common part size fits; else 0. A single part is the whole object.
   */
  static long exactLayout(long sizeBytes, int parts, long knownPartBytes) {
    if (knownPartBytes > 0 && MultipartLayout.fits(sizeBytes, parts, knownPartBytes)) {
      return knownPartBytes;
    }
    List<Long> candidates = MultipartLayout.candidatePartSizes(sizeBytes, parts);
    return candidates.size() == 1 ? candidates.get(0) : 0;
  }

  private static void addOnce(List<String> digests, String name) {
    if (!digests.contains(name)) {
      digests.add(name);
    }
  }

  /**
   * What ranges must start on a multiple of (and span whole multiples of, but for the object's
   * tail): the least common multiple of the part sizes whose digests are computed per part; 0 when
   * any split will do.
   */
  public long alignmentBytes() {
    List<Long> sizes = new ArrayList<>(partMd5Bytes);
    if (shaPartBytes > 0) {
      sizes.add(shaPartBytes);
    }
    return sizes.isEmpty() ? 0 : MultipartLayout.lcm(sizes);
  }

  /** Whether anything but the size is computed. */
  public boolean computesDigests() {
    return crc != null || !wholeDigests.isEmpty() || !partMd5Bytes.isEmpty() || shaPartBytes > 0;
  }

  /**
   * This plan with the whole-object digests left to a pass over the file (and nothing else
   * changed).
   */
  public DigestPlan withoutWholeDigests() {
    return new DigestPlan(known, crc, List.of(), partMd5Bytes, shaPartBytes);
  }
}
