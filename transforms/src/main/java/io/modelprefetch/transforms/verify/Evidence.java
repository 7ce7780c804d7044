package io.modelprefetch.transforms.verify;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks a fetched file against every evidence available, strongest first in the report:
 *
 * <ul>
 *   <li>{@code sha256}: the manifest's expected digest (one pass over the file);
 *   <li>{@code md5}: an ETag without {@code -N} is the object's MD5 (computed while the bytes
 *       stream when the object came in one range, right behind the download when its ranges were
 *       all fetched in this JVM, else one pass; skipped when the CRC-64 already vouches for the
 *       bytes);
 *   <li>{@code multipart-md5}: an ETag {@code <hex>-N} is the MD5 of the N part MD5s, computed
 *       while the bytes stream when the ranges were aligned to the upload's parts;
 *   <li>{@code crc64ecma}: the server's whole-object CRC ({@code x-tos-hash-crc64ecma}) against the
 *       combined CRCs of the ranges;
 *   <li>{@code size}: only the length, when nothing else exists (weak).
 * </ul>
 */
public final class Evidence {

  public static final String SHA256 = "sha256";
  public static final String MD5 = "md5";
  public static final String MULTIPART_MD5 = "multipart-md5";
  public static final String CRC64 = "crc64ecma";
  public static final String SIZE = "size";

  private static final List<String> STRENGTH = List.of(SHA256, MD5, MULTIPART_MD5, CRC64);

  /** The outcome: what was checked, and the first mismatch (expected and actual), if any. */
  public record Verdict(String verifiedBy, List<String> checks, String mismatch) {
    public boolean ok() {
      return mismatch == null;
    }
  }

  private Evidence() {}

  /**
   * Checks {@code file} (the fetched bytes of {@code object}) using the digests its {@code ranges}
   * computed, in index order, all successful. Without {@code digests}, only the size and a
   * manifest's sha256 are checked.
   */
  public static Verdict check(ObjectRef object, List<FetchedRange> ranges, Path file, boolean digests)
      throws IOException {
    List<String> checks = new ArrayList<>(List.of(SIZE));
    long size = Files.size(file);
    if (size != object.sizeBytes()) {
      return new Verdict(null, checks, "size: expected " + object.sizeBytes() + " bytes, got " + size);
    }
    if (!digests) {
      return object.expectedSha256() == null ? new Verdict(SIZE, checks, null) : sha256(object, file, checks);
    }

    String announced = ranges.stream().map(FetchedRange::objectCrc64).filter(c -> c != null).findFirst().orElse(null);
    if (announced != null) {
      long combined = ranges.get(0).crc64();
      for (int i = 1; i < ranges.size(); i++) {
        combined = Crc64.combine(combined, ranges.get(i).crc64(), ranges.get(i).task().lengthBytes());
      }
      String actual = Crc64.format(combined);
      if (!actual.equals(announced.strip())) {
        return new Verdict(null, checks, "crc64ecma: expected " + announced.strip() + " (x-tos-hash-crc64ecma), got " + actual);
      }
      checks.add(CRC64);
    }

    String etag = Etags.normalize(object.etag());
    int parts = MultipartLayout.partCount(etag);
    List<byte[]> partMd5s = new ArrayList<>();
    ranges.forEach(r -> r.partMd5Hex().forEach(h -> partMd5s.add(HexFormat.of().parseHex(h))));
    if (parts > 0 && partMd5s.size() == parts) {
      String actual = MultipartLayout.etagOf(partMd5s);
      if (!actual.equals(etag)) {
        return new Verdict(null, checks, "multipart-md5: expected " + etag + " (ETag), got " + actual);
      }
      checks.add(MULTIPART_MD5);
    }

    boolean plainMd5 = Etags.isPlainMd5(etag);
    // The MD5 of the whole object, computed as it streamed in one range, or right behind the
    // download of several (then the range that completed it carries it).
    String streamedMd5 = ranges.stream().map(FetchedRange::md5Hex).filter(m -> m != null).findFirst().orElse(null);
    boolean md5Pass = plainMd5 && streamedMd5 == null && (!checks.contains(CRC64) || object.expectedSha256() != null);
    boolean shaPass = object.expectedSha256() != null;
    String[] passed = md5Pass || shaPass ? pass(file, md5Pass, shaPass) : new String[2];
    String md5 = streamedMd5 != null ? streamedMd5 : passed[0];
    if (plainMd5 && md5 != null) {
      if (!md5.equals(etag)) {
        return new Verdict(null, checks, "md5: expected " + etag + " (ETag), got " + md5);
      }
      checks.add(MD5);
    }
    if (shaPass) {
      String mismatch = sha256Mismatch(object, passed[1]);
      if (mismatch != null) {
        return new Verdict(null, checks, mismatch);
      }
      checks.add(SHA256);
    }
    String strongest = STRENGTH.stream().filter(checks::contains).findFirst().orElse(SIZE);
    return new Verdict(strongest, checks, null);
  }

  /** The size alone having matched: the manifest's sha256, one pass over the file. */
  private static Verdict sha256(ObjectRef object, Path file, List<String> checks) throws IOException {
    String mismatch = sha256Mismatch(object, pass(file, false, true)[1]);
    if (mismatch != null) {
      return new Verdict(null, checks, mismatch);
    }
    checks.add(SHA256);
    return new Verdict(SHA256, checks, null);
  }

  private static String sha256Mismatch(ObjectRef object, String actual) {
    String expected = object.expectedSha256().strip().toLowerCase(java.util.Locale.ROOT);
    return actual.equals(expected) ? null : "sha256: expected " + expected + " (manifest), got " + actual;
  }

  /** One read of the file feeding the digests asked for: {md5, sha256}. */
  private static String[] pass(Path file, boolean md5, boolean sha256) throws IOException {
    MessageDigest m = md5 ? Digests.md5() : null;
    MessageDigest s = sha256 ? Digests.sha256() : null;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        if (m != null) {
          m.update(buffer.duplicate());
        }
        if (s != null) {
          s.update(buffer);
        }
        buffer.clear();
      }
    }
    return new String[] {
      m == null ? null : HexFormat.of().formatHex(m.digest()), s == null ? null : HexFormat.of().formatHex(s.digest())
    };
  }
}
