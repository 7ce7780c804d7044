package io.modelprefetch.transforms.verify;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A checksum an S3 store keeps with an object (its "additional checksum"), as {@code HeadObject} or
 * a whole-object {@code GetObject} with {@code x-amz-checksum-mode: ENABLED} return it in {@code
 * x-amz-checksum-<algorithm>} and {@code x-amz-checksum-type}, or {@code GetObjectAttributes} in
 * {@code <Checksum><ChecksumCRC32>…</ChecksumCRC32><ChecksumType>…</ChecksumType></Checksum>}.
 *
 * <p>The value is the base64 of the checksum's big-endian bytes. A {@link Type#COMPOSITE} value,
 * left by a multipart upload, is the checksum of the concatenated raw checksums of the N parts
 * followed by {@code -N}; a {@link Type#FULL_OBJECT} value is the checksum of the whole object's
 * bytes, whatever way it was uploaded.
 *
 * @param algorithm the checksum's algorithm
 * @param type full-object or composite
 * @param partCount N of a composite checksum; 0 for a full-object one
 * @param base64 the value without its {@code -N} suffix
 */
public record StoredChecksum(Algorithm algorithm, Type type, int partCount, String base64)
    implements java.io.Serializable {

  /** The highest part count S3 allows in one upload. */
  public static final int MAX_PARTS = 10_000;

  /** The algorithms S3 stores, with their names in headers and in XML. */
  public enum Algorithm {
    CRC64NVME(8, CrcAlgorithm.CRC64NVME, null),
    CRC32C(4, CrcAlgorithm.CRC32C, null),
    CRC32(4, CrcAlgorithm.CRC32, null),
    SHA256(32, null, "SHA-256"),
    SHA1(20, null, "SHA-1");

    private final int valueBytes;
    private final @Nullable CrcAlgorithm crc;
    private final @Nullable String jdkDigest;

    Algorithm(int valueBytes, @Nullable CrcAlgorithm crc, @Nullable String jdkDigest) {
      this.valueBytes = valueBytes;
      this.crc = crc;
      this.jdkDigest = jdkDigest;
    }

    /** The response header that carries it, e.g. {@code x-amz-checksum-crc64nvme}. */
    public String headerName() {
      return "x-amz-checksum-" + name().toLowerCase(Locale.ROOT);
    }

    /** The XML element (and SDK field) that carries it, e.g. {@code ChecksumCRC64NVME}. */
    public String xmlName() {
      return "Checksum" + name();
    }

    /** The length of a raw value in bytes. */
    public int valueBytes() {
      return valueBytes;
    }

    /**
     * The CRC, when the algorithm is one (combinable across ranges); null for SHA-256 and SHA-1.
     */
    public @Nullable CrcAlgorithm crc() {
      return crc;
    }

    /** A fresh JDK digest for SHA-256 and SHA-1. */
    public MessageDigest newDigest() {
      if (jdkDigest == null) {
        throw new IllegalStateException(this + " is a CRC: use crc().newChecksum()");
      }
      return Digests.get(jdkDigest);
    }

    /** The raw checksum of {@code bytes}. */
    public byte[] checksumOf(byte[] bytes) {
      return crc != null ? crc.toBytes(crc.of(bytes)) : newDigest().digest(bytes);
    }

    /**
     * The raw composite value of a multipart upload: the checksum of the parts' raw checksums
     * concatenated in part order (without the {@code -N}).
     */
    public byte[] compositeOf(List<byte[]> partChecksums) {
      byte[] concatenated = new byte[partChecksums.size() * valueBytes];
      for (int i = 0; i < partChecksums.size(); i++) {
        byte[] part = partChecksums.get(i);
        if (part.length != valueBytes) {
          throw new IllegalArgumentException(
              "part "
                  + (i + 1)
                  + "'s "
                  + this
                  + " has "
                  + part.length
                  + " bytes, expected "
                  + valueBytes);
        }
        System.arraycopy(part, 0, concatenated, i * valueBytes, valueBytes);
      }
      return checksumOf(concatenated);
    }

    /** The algorithm a response header carries, or null for any other header. */
    public static @Nullable Algorithm ofHeader(@Nullable String headerName) {
      if (headerName == null) {
        return null;
      }
      for (Algorithm a : values()) {
        if (a.headerName().equalsIgnoreCase(headerName.strip())) {
          return a;
        }
      }
      return null;
    }
  }

  /** How the value was computed. */
  public enum Type {
    /** Over the object's bytes in order: checkable from any split of the object. */
    FULL_OBJECT,
    /** Over the concatenated checksums of the upload's parts: checkable with the part layout. */
    COMPOSITE
  }

  public StoredChecksum {
    if (algorithm == null || type == null || base64 == null) {
      throw new IllegalArgumentException("algorithm, type and base64 are required");
    }
    if (type == Type.FULL_OBJECT ? partCount != 0 : partCount < 1 || partCount > MAX_PARTS) {
      throw new IllegalArgumentException(
          "partCount must be 0 for FULL_OBJECT and 1.."
              + MAX_PARTS
              + " for COMPOSITE, was "
              + partCount
              + " for "
              + type);
    }
  }

  /**
   * Parses a response header: {@code name} is {@code x-amz-checksum-<algorithm>}, {@code value} its
   * value ({@code <base64>} or {@code <base64>-N}), {@code typeHeader} the value of {@code
   * x-amz-checksum-type} or null when absent (then a {@code -N} suffix means composite).
   *
   * @throws IllegalArgumentException naming the header and the value when it is malformed
   */
  public static StoredChecksum fromHeader(String name, String value, @Nullable String typeHeader) {
    Algorithm algorithm = Algorithm.ofHeader(name);
    if (algorithm == null) {
      throw new IllegalArgumentException(
          "header "
              + name
              + " is not an S3 checksum: expected one of x-amz-checksum-crc64nvme, -crc32c, -crc32, "
              + "-sha256, -sha1");
    }
    return parse(algorithm, algorithm.headerName(), value, "x-amz-checksum-type", typeHeader);
  }

  /**
   * Parses the XML form ({@code GetObjectAttributes}, {@code CompleteMultipartUpload}) or the SDK's
   * fields: {@code value} of {@code Checksum<ALGORITHM>} and {@code type} of {@code ChecksumType}
   * (null when absent).
   *
   * @throws IllegalArgumentException naming the element and the value when it is malformed
   */
  public static StoredChecksum fromXml(
      Algorithm algorithm, @Nullable String value, @Nullable String type) {
    return parse(algorithm, algorithm.xmlName(), value, "ChecksumType", type);
  }

  /**
   * The checksums among a response's headers (names in any case, as the SDK's {@code
   * SdkHttpResponse.headers()} or the JDK's {@code HttpHeaders.map()} give them); empty when the
   * store sent none. Headers of algorithms this class does not know are skipped (S3 lists more
   * algorithms over time).
   *
   * @throws IllegalArgumentException when a known checksum header is malformed
   */
  public static List<StoredChecksum> fromHeaders(
      Map<String, ? extends Collection<String>> headers) {
    String type = null;
    for (Map.Entry<String, ? extends Collection<String>> h : headers.entrySet()) {
      if (h.getKey().equalsIgnoreCase("x-amz-checksum-type") && !h.getValue().isEmpty()) {
        type = h.getValue().iterator().next();
      }
    }
    List<StoredChecksum> found = new ArrayList<>();
    for (Algorithm algorithm : Algorithm.values()) {
      for (Map.Entry<String, ? extends Collection<String>> h : headers.entrySet()) {
        if (h.getKey().equalsIgnoreCase(algorithm.headerName()) && !h.getValue().isEmpty()) {
          found.add(fromHeader(algorithm.headerName(), h.getValue().iterator().next(), type));
        }
      }
    }
    return found;
  }

  private static StoredChecksum parse(
      Algorithm algorithm,
      String name,
      @Nullable String value,
      String typeName,
      @Nullable String typeValue) {
    String expected =
        "expected the base64 of a "
            + algorithm.valueBytes
            + "-byte "
            + algorithm
            + ", followed by -N (the part count) for a multipart upload's COMPOSITE checksum";
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is empty: " + expected);
    }
    String v = value.strip();
    int dash = v.indexOf('-');
    String encoded = dash < 0 ? v : v.substring(0, dash);
    int parts = 0;
    if (dash >= 0) {
      String count = v.substring(dash + 1);
      try {
        parts = count.chars().allMatch(Character::isDigit) ? Integer.parseInt(count) : -1;
      } catch (NumberFormatException e) {
        parts = -1;
      }
      if (parts < 1 || parts > MAX_PARTS) {
        throw new IllegalArgumentException(
            name
                + " value \""
                + v
                + "\" has part count \""
                + count
                + "\": expected a whole number from 1 to "
                + MAX_PARTS
                + " after the \"-\"");
      }
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " value \"" + v + "\" is not base64: " + expected);
    }
    if (raw.length != algorithm.valueBytes) {
      throw new IllegalArgumentException(
          name
              + " value \""
              + v
              + "\" decodes to "
              + raw.length
              + " bytes: a "
              + algorithm
              + " has "
              + algorithm.valueBytes);
    }
    Type type = parts > 0 ? Type.COMPOSITE : Type.FULL_OBJECT;
    if (typeValue != null && !typeValue.isBlank()) {
      Type announced =
          switch (typeValue.strip().toUpperCase(Locale.ROOT)) {
            case "FULL_OBJECT" -> Type.FULL_OBJECT;
            case "COMPOSITE" -> Type.COMPOSITE;
            default ->
                throw new IllegalArgumentException(
                    typeName
                        + " \""
                        + typeValue.strip()
                        + "\" is not a checksum type: expected FULL_OBJECT or COMPOSITE");
          };
      if (announced == Type.COMPOSITE && parts == 0) {
        // S3 answers a ranged or part-number GET of a composite object with the part's checksum and
        // no suffix; only the whole object's value (<base64>-N) can be checked against the object.
        throw new IllegalArgumentException(
            name
                + " value \""
                + v
                + "\" has no -N part count but "
                + typeName
                + " is COMPOSITE: a whole-object HEAD or GET returns <base64>-N; a ranged or part GET's value "
                + "cannot be checked against the whole object");
      }
      if (announced == Type.FULL_OBJECT && parts > 0) {
        throw new IllegalArgumentException(
            name
                + " value \""
                + v
                + "\" has part count "
                + parts
                + " but "
                + typeName
                + " is FULL_OBJECT: a full-object checksum has no -N suffix");
      }
    }
    return new StoredChecksum(algorithm, type, parts, Base64.getEncoder().encodeToString(raw));
  }

  /** The raw value (a copy). */
  public byte[] value() {
    return Base64.getDecoder().decode(base64);
  }

  /** True for a composite (multipart) value. */
  public boolean composite() {
    return type == Type.COMPOSITE;
  }

  /** True when {@code raw} (a checksum or composite value computed here) equals the stored one. */
  public boolean matches(byte[] raw) {
    return Arrays.equals(value(), raw);
  }

  /** True when a full-object CRC computed here equals the stored one. */
  public boolean matchesCrc(long crc) {
    if (algorithm.crc == null) {
      throw new IllegalStateException(algorithm + " is not a CRC");
    }
    return matches(algorithm.crc.toBytes(crc));
  }

  /** The value as the header carries it: {@code <base64>}, or {@code <base64>-N} when composite. */
  public String headerValue() {
    return composite() ? base64 + "-" + partCount : base64;
  }

  /** E.g. {@code crc32 EKGgJw==-4 (COMPOSITE)}, for reports and mismatch messages. */
  @Override
  public String toString() {
    return algorithm.name().toLowerCase(Locale.ROOT) + " " + headerValue() + " (" + type + ")";
  }
}
