package io.modelprefetch.transforms.verify;

import java.io.Serializable;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The digests one range computes as its bytes pass, by its object's {@link DigestPlan}: the CRCs of
 * its blocks, the digests of the upload parts it holds, and, for a range that is the whole object,
 * the object's digests. A range of a larger object leaves the whole-object digests to the in-order
 * digest that follows the download (or to a pass over the file at commit).
 *
 * <p>Not thread-safe: one range, one thread.
 */
public final class RangeDigests {

  /**
   * What a range computed.
   *
   * @param crcs the CRCs of the range's blocks, or null when the plan computes no CRC
   * @param wholeHex the whole object's digests by JDK name ({@code MD5}, {@code SHA-256}, {@code
   *     SHA-1}) as hex: computed by a range that is the whole object, or by the range that
   *     completed an in-order digest; else empty
   * @param partMd5Hex for each part size of the plan, the MD5s of the parts the range holds
   * @param partShaHex the SHA-256 or SHA-1 of each part the range holds, for a composite SHA
   */
  public record Result(
      @Nullable BlockCrcs crcs,
      Map<String, String> wholeHex,
      Map<Long, List<String>> partMd5Hex,
      List<String> partShaHex)
      implements Serializable {

    public static final Result NONE = new Result(null, Map.of(), Map.of(), List.of());

    public Result {
      wholeHex = Map.copyOf(wholeHex);
      Map<Long, List<String>> parts = new LinkedHashMap<>();
      partMd5Hex.forEach((size, list) -> parts.put(size, List.copyOf(list)));
      partMd5Hex = java.util.Collections.unmodifiableMap(parts);
      partShaHex = List.copyOf(partShaHex);
    }

    /** The same with the whole object's digests an in-order digest completed. */
    public Result withWholeHex(Map<String, String> digests) {
      return new Result(crcs, digests, partMd5Hex, partShaHex);
    }
  }

  private final BlockCrcs.@Nullable Accumulator crcs;
  private final Map<String, MessageDigest> whole = new LinkedHashMap<>();
  private final List<Parts> md5Parts = new ArrayList<>();
  private final @Nullable Parts shaParts;

  /**
   * Starts the digests of bytes {@code first..lastInclusive} of an object of {@code objectBytes}.
   *
   * @param wholeObject whether the range is the whole object (then its digests are computed here)
   * @throws IllegalArgumentException when the range does not start on a part boundary of a part
   *     size the plan digests per part (a planning error)
   */
  public RangeDigests(
      DigestPlan plan, long objectBytes, long first, long lastInclusive, boolean wholeObject) {
    this.crcs =
        plan.crc() == null
            ? null
            : BlockCrcs.accumulate(plan.crc(), BlockCrcs.DEFAULT_BLOCK_BYTES, first);
    if (wholeObject) {
      plan.wholeDigests().forEach(name -> whole.put(name, Digests.get(name)));
    }
    for (long partBytes : plan.partMd5Bytes()) {
      md5Parts.add(new Parts(partBytes, objectBytes, first, Digests.md5()));
    }
    StoredChecksum stored = plan.known().checksum();
    this.shaParts =
        plan.shaPartBytes() > 0 && stored != null
            ? new Parts(plan.shaPartBytes(), objectBytes, first, stored.algorithm().newDigest())
            : null;
  }

  /** Adds the range's next {@code length} bytes. */
  public void update(byte[] bytes, int offset, int length) {
    if (crcs != null) {
      crcs.update(bytes, offset, length);
    }
    for (MessageDigest digest : whole.values()) {
      digest.update(bytes, offset, length);
    }
    for (Parts parts : md5Parts) {
      parts.update(bytes, offset, length);
    }
    if (shaParts != null) {
      shaParts.update(bytes, offset, length);
    }
  }

  /** What the range computed, once all its bytes were added. */
  public Result finish() {
    Map<String, String> wholeHex = new LinkedHashMap<>();
    whole.forEach((name, digest) -> wholeHex.put(name, HexFormat.of().formatHex(digest.digest())));
    Map<Long, List<String>> partMd5 = new LinkedHashMap<>();
    for (Parts parts : md5Parts) {
      partMd5.put(parts.partBytes, parts.finish());
    }
    return new Result(
        crcs == null ? null : crcs.finish(),
        wholeHex,
        partMd5,
        shaParts == null ? List.of() : shaParts.finish());
  }

  /** The digests of the upload parts a range holds, for one part size. */
  private static final class Parts {
    private final long partBytes;
    private final MessageDigest digest;
    private final List<String> hex = new ArrayList<>();
    private long leftInPart;

    Parts(long partBytes, long objectBytes, long first, MessageDigest digest) {
      if (first % partBytes != 0) {
        throw new IllegalArgumentException(
            "a range starting at byte "
                + first
                + " does not start a part of "
                + partBytes
                + " bytes: ranges must be aligned to the upload's parts to digest them");
      }
      this.partBytes = partBytes;
      this.digest = digest;
      this.leftInPart = Math.min(partBytes, objectBytes - first);
    }

    void update(byte[] bytes, int offset, int length) {
      int off = offset;
      int left = length;
      while (left > 0) {
        int take = (int) Math.min(left, leftInPart);
        digest.update(bytes, off, take);
        off += take;
        left -= take;
        leftInPart -= take;
        if (leftInPart == 0) {
          hex.add(HexFormat.of().formatHex(digest.digest()));
          leftInPart =
              partBytes; // the next part; the object's last one is cut short by the range's end
        }
      }
    }

    List<String> finish() {
      if (leftInPart != partBytes) { // the object's last part, shorter than the others
        hex.add(HexFormat.of().formatHex(digest.digest()));
      }
      return hex;
    }
  }
}
