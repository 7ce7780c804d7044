package io.modelprefetch.transforms.verify;

import java.io.Serializable;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What a store keeps about an object's content beyond its ETag, as the answer to a {@code
 * HeadObject}, or to a whole-object {@code GetObject}, with {@code x-amz-checksum-mode: ENABLED}
 * gives it.
 *
 * @param checksum the S3 additional checksum ({@code x-amz-checksum-*} and {@code
 *     x-amz-checksum-type}), or null
 * @param tosCrc64 TOS's whole-object CRC-64/ECMA-182 ({@code x-tos-hash-crc64ecma}, decimal), or
 *     null
 * @param uploaderMd5Hex the whole object's MD5 as its uploader recorded it in the object's metadata
 *     (rclone's {@code x-amz-meta-md5chksum}, s3cmd's {@code md5:} in {@code
 *     x-amz-meta-s3cmd-attrs}): the only digest of the whole object those tools leave on a
 *     multipart upload; or null
 * @param partBytes the upload's part size when the store says it ({@code HeadObject} with {@code
 *     partNumber=1}), else 0
 * @param problem why a header that should have carried evidence could not be read, or null (the
 *     object is then checked by what else it has)
 */
public record StoredEvidence(
    @Nullable StoredChecksum checksum,
    @Nullable String tosCrc64,
    @Nullable String uploaderMd5Hex,
    long partBytes,
    @Nullable String problem)
    implements Serializable {

  public static final StoredEvidence NONE = new StoredEvidence(null, null, null, 0, null);

  /** The TOS header of the whole object's CRC-64, on every GET and HEAD answer. */
  public static final String TOS_CRC64_HEADER = "x-tos-hash-crc64ecma";

  private static final Pattern S3CMD_MD5 = Pattern.compile("(?:^|/)md5:([0-9a-fA-F]{32})(?:/|$)");
  private static final Pattern HEX_MD5 = Pattern.compile("[0-9a-f]{32}");

  /** Whether the store said anything beyond the ETag. */
  public boolean isEmpty() {
    return checksum == null && tosCrc64 == null && uploaderMd5Hex == null && partBytes == 0;
  }

  /**
   * The evidence among a response's headers; {@code header} looks a header up by its lower-case
   * name and answers null when it is absent. A malformed value is left out and named in {@link
   * #problem}: it is no evidence, and the object is checked by what else it has.
   */
  public static StoredEvidence fromHeaders(Function<String, @Nullable String> header) {
    StoredChecksum checksum = null;
    String problem = null;
    String type = header.apply("x-amz-checksum-type");
    for (StoredChecksum.Algorithm algorithm : StoredChecksum.Algorithm.values()) {
      String value = header.apply(algorithm.headerName());
      if (value != null && checksum == null) {
        try {
          checksum = StoredChecksum.fromHeader(algorithm.headerName(), value, type);
        } catch (IllegalArgumentException e) {
          problem = e.getMessage();
        }
      }
    }
    String tos = header.apply(TOS_CRC64_HEADER);
    if (tos == null) {
      tos = header.apply("x-amz-hash-crc64ecma"); // TOS's S3-compatible name for it
    }
    if (tos != null) {
      try {
        tos = Long.toUnsignedString(Long.parseUnsignedLong(tos.strip()));
      } catch (NumberFormatException e) {
        problem =
            TOS_CRC64_HEADER + " value \"" + tos.strip() + "\" is not an unsigned decimal CRC-64";
        tos = null;
      }
    }
    return new StoredEvidence(checksum, tos, uploaderMd5(header), 0, problem);
  }

  /**
   * The whole object's MD5 that rclone or s3cmd recorded in its metadata, as lower-case hex, or
   * null.
   */
  private static @Nullable String uploaderMd5(Function<String, @Nullable String> header) {
    String rclone = header.apply("x-amz-meta-md5chksum");
    if (rclone != null) {
      try {
        byte[] md5 = java.util.Base64.getDecoder().decode(rclone.strip());
        if (md5.length == 16) {
          return HexFormat.of().formatHex(md5);
        }
      } catch (IllegalArgumentException e) {
        // not base64: not rclone's record
      }
    }
    String s3cmd = header.apply("x-amz-meta-s3cmd-attrs");
    if (s3cmd != null) {
      Matcher m = S3CMD_MD5.matcher(s3cmd.strip());
      if (m.find()) {
        return m.group(1).toLowerCase(Locale.ROOT);
      }
    }
    return null;
  }

  /** This evidence with the upload's part size as the store told it. */
  public StoredEvidence withPartBytes(long bytes) {
    return new StoredEvidence(checksum, tosCrc64, uploaderMd5Hex, bytes, problem);
  }

  /**
   * This evidence joined with what a later answer told (a whole-object GET's headers): its values
   * where this has none.
   */
  public StoredEvidence or(StoredEvidence other) {
    return new StoredEvidence(
        checksum != null ? checksum : other.checksum,
        tosCrc64 != null ? tosCrc64 : other.tosCrc64,
        uploaderMd5Hex != null ? uploaderMd5Hex : other.uploaderMd5Hex,
        partBytes != 0 ? partBytes : other.partBytes,
        problem != null ? problem : other.problem);
  }

  public StoredEvidence {
    if (uploaderMd5Hex != null && !HEX_MD5.matcher(uploaderMd5Hex).matches()) {
      throw new IllegalArgumentException(
          "uploaderMd5Hex must be 32 lower-case hex digits, was " + uploaderMd5Hex);
    }
    if (partBytes < 0) {
      throw new IllegalArgumentException("partBytes must be >= 0, was " + partBytes);
    }
  }
}
