package io.modelprefetch.transforms.verify;

import java.util.List;

/**
 * The part size of a multipart upload, from what the ETag ({@code <md5 of part md5s>-N}) and the
 * object's size allow. The MD5 of the part MD5s can only be checked when the part size is known.
 */
public final class MultipartLayout {

  private static final long MIB = 1L << 20;

  /** Part sizes that common uploaders use (aws-cli, boto3, rclone, S3A, TOS and Go SDKs...). */
  static final List<Long> COMMON_PART_SIZES = List.of(5 * MIB, 8 * MIB, 10 * MIB, 15 * MIB, 16 * MIB, 20 * MIB,
      25 * MIB, 32 * MIB, 50 * MIB, 64 * MIB, 100 * MIB, 128 * MIB, 256 * MIB, 512 * MIB, 1024 * MIB);

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
      return Math.multiplyExact(parts - 1, partSize) < size && size <= Math.multiplyExact((long) parts, partSize);
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

  /** The multipart ETag body for the concatenated part digests: MD5 of the digests, then {@code -N}. */
  public static String etagOf(List<byte[]> partMd5s) {
    var md5 = Digests.md5();
    partMd5s.forEach(md5::update);
    return java.util.HexFormat.of().formatHex(md5.digest()) + "-" + partMd5s.size();
  }
}
