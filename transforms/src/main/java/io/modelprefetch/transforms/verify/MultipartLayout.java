package io.modelprefetch.transforms.verify;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * The part size of a multipart upload, from what the ETag ({@code <md5 of part md5s>-N}) and the
 * object's size allow. The MD5 of the part MD5s can only be checked when the part size is known.
 */
public final class MultipartLayout {

  private static final long MIB = 1L << 20;

  /**
   * Part sizes that common uploaders use, most common first: 8 MiB (aws CLI, boto3 and the Java
   * SDK's transfer manager at their defaults), 5 MiB (rclone, the Go and JavaScript SDKs), 16 MiB
   * (MinIO's mc; the aws CLI and boto3 double 8 MiB until the parts fit 10,000), 64 MiB (Hadoop
   * S3A), 15 MiB (s3cmd), 100 MiB (older S3A), then round sizes seen in tools' options and docs
   * (TOS and other SDKs, s5cmd's 50 MiB). All are whole MiB.
   */
  static final List<Long> COMMON_PART_SIZES =
      List.of(
          8 * MIB,
          5 * MIB,
          16 * MIB,
          64 * MIB,
          15 * MIB,
          100 * MIB,
          10 * MIB,
          32 * MIB,
          20 * MIB,
          50 * MIB,
          25 * MIB,
          128 * MIB,
          256 * MIB,
          512 * MIB,
          1024 * MIB);

  /** The most candidates {@link #wholeMibPartSizes} lists. */
  static final int MAX_MIB_CANDIDATES = 1024;

  private MultipartLayout() {}

  /** The part count N of a multipart ETag, or 0 for any other ETag. */
  public static int partCount(String etag) {
    if (!Etags.isMultipart(etag)) {
      return 0;
    }
    String e = Etags.normalize(etag);
    try {
      return Integer.parseInt(e.substring(e.indexOf('-') + 1));
    } catch (NumberFormatException ex) {
      return 0;
    }
  }

  /** True when {@code parts} parts of {@code partSize} bytes make an object of {@code size}. */
  public static boolean fits(long size, int parts, long partSize) {
    if (parts < 1 || partSize < 1 || size < 1) {
      return false;
    }
    try {
      return Math.multiplyExact(parts - 1, partSize) < size
          && size <= Math.multiplyExact((long) parts, partSize);
    } catch (ArithmeticException e) {
      return false;
    }
  }

  /**
   * The part size, when exactly one common size fits {@code size} and {@code parts}; else 0. A
   * single-part upload has one possible layout: the whole object.
   */
  public static long inferPartSize(long size, int parts) {
    if (parts == 1) {
      return size;
    }
    long found = 0;
    for (long candidate : COMMON_PART_SIZES) {
      if (fits(size, parts, candidate)) {
        if (found != 0) {
          return 0;
        }
        found = candidate;
      }
    }
    return found;
  }

  /**
   * Every common part size ({@link #COMMON_PART_SIZES}, most common first) with which {@code parts}
   * parts make {@code sizeBytes}; for a single part, the whole object. Empty when none fits (the
   * uploader chose another size: try {@link #wholeMibPartSizes}).
   */
  public static List<Long> candidatePartSizes(long sizeBytes, int parts) {
    if (parts == 1) {
      return sizeBytes > 0 ? List.of(sizeBytes) : List.of();
    }
    List<Long> fitting = new ArrayList<>();
    for (long candidate : COMMON_PART_SIZES) {
      if (fits(sizeBytes, parts, candidate)) {
        fitting.add(candidate);
      }
    }
    return fitting;
  }

  /**
   * As {@link #candidatePartSizes(long, int)}, with an exact part size known from elsewhere (a
   * part-number {@code HeadObject}, {@code GetObjectAttributes}' parts, the manifest) first when it
   * fits; {@code knownPartSizeBytes <= 0} means unknown.
   */
  public static List<Long> candidatePartSizes(long sizeBytes, int parts, long knownPartSizeBytes) {
    List<Long> candidates = new ArrayList<>();
    if (knownPartSizeBytes > 0 && fits(sizeBytes, parts, knownPartSizeBytes)) {
      candidates.add(knownPartSizeBytes);
    }
    for (long c : candidatePartSizes(sizeBytes, parts)) {
      if (!candidates.contains(c)) {
        candidates.add(c);
      }
    }
    return candidates;
  }

  /**
   * Every whole-MiB part size with which {@code parts} parts make {@code sizeBytes}, smallest
   * first, at most {@value #MAX_MIB_CANDIDATES}: the candidates for a checksum that is cheap to try
   * per layout (a composite CRC from {@link BlockCrcs}), covering uploaders that pick a size of
   * their own (rclone and others raise theirs to stay within 10,000 parts).
   */
  public static List<Long> wholeMibPartSizes(long sizeBytes, int parts) {
    if (parts == 1) {
      return sizeBytes > 0 ? List.of(sizeBytes) : List.of(); // every size >= the object: one layout
    }
    List<Long> fitting = new ArrayList<>();
    if (parts < 1 || sizeBytes < 1) {
      return fitting;
    }
    // parts·P >= size and (parts-1)·P < size: P from ceil(size/parts) to below size/(parts-1).
    long smallest = Math.max(1, ceilDiv(ceilDiv(sizeBytes, parts), MIB));
    for (long mib = smallest;
        fitting.size() < MAX_MIB_CANDIDATES && fits(sizeBytes, parts, mib * MIB);
        mib++) {
      fitting.add(mib * MIB);
    }
    return fitting;
  }

  /**
   * The part boundaries of an upload of {@code sizeBytes} in parts of {@code partSizeBytes} (the
   * last one shorter): {@code 0, P, 2P, ..., sizeBytes}.
   *
   * @throws IllegalArgumentException when a size is below 1 or the parts exceed 10,000
   */
  public static long[] partBoundaries(long sizeBytes, long partSizeBytes) {
    if (sizeBytes < 1 || partSizeBytes < 1) {
      throw new IllegalArgumentException(
          "sizeBytes and partSizeBytes must be >= 1, were " + sizeBytes + " and " + partSizeBytes);
    }
    long parts = ceilDiv(sizeBytes, partSizeBytes);
    if (parts > StoredChecksum.MAX_PARTS) {
      throw new IllegalArgumentException(
          sizeBytes
              + " bytes in parts of "
              + partSizeBytes
              + " are "
              + parts
              + " parts, more than S3's "
              + StoredChecksum.MAX_PARTS);
    }
    long[] boundaries = new long[(int) parts + 1];
    for (int k = 0; k < parts; k++) {
      boundaries[k] = k * partSizeBytes;
    }
    boundaries[(int) parts] = sizeBytes;
    return boundaries;
  }

  /** The greatest common divisor of two sizes (both >= 1). */
  public static long gcd(long a, long b) {
    if (a < 1 || b < 1) {
      throw new IllegalArgumentException("gcd needs sizes >= 1, got " + a + " and " + b);
    }
    while (b != 0) {
      long r = a % b;
      a = b;
      b = r;
    }
    return a;
  }

  /**
   * The least common multiple of two sizes (both >= 1): ranges that are multiples of it hold whole
   * parts of both layouts.
   *
   * @throws ArithmeticException when it exceeds a long
   */
  public static long lcm(long a, long b) {
    return Math.multiplyExact(a / gcd(a, b), b);
  }

  /**
   * The least common multiple of part sizes: a range size (and range start) that is a multiple of
   * it holds whole parts of every layout, so one streamed pass can compute each layout's part MD5s
   * (e.g. 8, 5 and 16 MiB: 80 MiB; with 15 MiB too: 240 MiB).
   *
   * @throws IllegalArgumentException when {@code partSizes} is empty
   * @throws ArithmeticException when it exceeds a long
   */
  public static long lcm(Collection<Long> partSizes) {
    if (partSizes.isEmpty()) {
      throw new IllegalArgumentException("lcm needs at least one part size");
    }
    long lcm = 1;
    for (long p : partSizes) {
      lcm = lcm(lcm, p);
    }
    return lcm;
  }

  /**
   * The layouts one streamed pass can check together: {@code candidates} in order (most likely
   * first), each kept when the {@link #lcm} of those kept stays within {@code maxAlignmentBytes},
   * at most {@code maxCandidates}. Ranges aligned to that lcm hold whole parts of every layout
   * kept.
   */
  public static List<Long> onePassCandidates(
      List<Long> candidates, int maxCandidates, long maxAlignmentBytes) {
    List<Long> chosen = new ArrayList<>();
    long lcm = 1;
    for (long c : candidates) {
      if (chosen.size() == maxCandidates) {
        break;
      }
      long next;
      try {
        next = lcm(lcm, c);
      } catch (ArithmeticException e) {
        continue;
      }
      if (next > maxAlignmentBytes) {
        continue; // a less likely candidate may still align
      }
      chosen.add(c);
      lcm = next;
    }
    return chosen;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /**
   * The multipart ETag body for the concatenated part digests: MD5 of the digests, then {@code -N}.
   */
  public static String etagOf(List<byte[]> partMd5s) {
    var md5 = Digests.md5();
    partMd5s.forEach(md5::update);
    return HexFormat.of().formatHex(md5.digest()) + "-" + partMd5s.size();
  }
}
