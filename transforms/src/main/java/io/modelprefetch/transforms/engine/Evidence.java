package io.modelprefetch.transforms.engine;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.verify.BlockCrcs;
import io.modelprefetch.transforms.verify.CrcAlgorithm;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.Digests;
import io.modelprefetch.transforms.verify.Etags;
import io.modelprefetch.transforms.verify.MultipartLayout;
import io.modelprefetch.transforms.verify.StoredChecksum;
import io.modelprefetch.transforms.verify.StoredEvidence;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks a fetched file against what its {@link DigestPlan} computed while the bytes passed, and
 * names the evidence in the report. Each name is one kind of evidence:
 *
 * <ul>
 *   <li>{@code sha256}: the manifest's sha256 of the file;
 *   <li>{@code s3-sha256}, {@code s3-sha1}: the store's full-object SHA checksum ({@code
 *       x-amz-checksum-sha256}); {@code s3-sha256-composite}, {@code s3-sha1-composite}: a
 *       multipart upload's composite SHA, checked for its known part layout;
 *   <li>{@code md5}: an ETag without {@code -N} is the object's MD5 (a single PUT);
 *   <li>{@code multipart-md5}: an ETag {@code <hex>-N} is the MD5 of the N part MD5s, checked for
 *       the part size the store says, or the common part sizes that fit;
 *   <li>{@code uploader-md5}: the whole object's MD5 that rclone or s3cmd recorded in its metadata;
 *   <li>{@code crc64nvme}, {@code crc32c}, {@code crc32}: the store's full-object CRC, from the
 *       ranges' CRCs combined; {@code crc64nvme-composite}, {@code crc32c-composite}, {@code
 *       crc32-composite}: a multipart upload's composite CRC, from the blocks' CRCs combined into
 *       parts for every part size that fits; {@code crc64ecma}: TOS's CRC-64 ({@code
 *       x-tos-hash-crc64ecma});
 *   <li>{@code size}: only the length (weak).
 * </ul>
 */
public final class Evidence {

  public static final String SHA256 = "sha256";
  public static final String MD5 = "md5";
  public static final String MULTIPART_MD5 = "multipart-md5";
  public static final String UPLOADER_MD5 = "uploader-md5";
  public static final String CRC64 = "crc64ecma";
  public static final String SIZE = "size";
  public static final String COMPOSITE_SUFFIX = "-composite";

  /**
   * Every evidence name, strongest first: a cryptographic digest over a CRC, the whole object over
   * a composite of parts.
   */
  public static final List<String> STRENGTH =
      List.of(
          SHA256,
          "s3-sha256",
          "s3-sha256-composite",
          "s3-sha1",
          "s3-sha1-composite",
          MD5,
          MULTIPART_MD5,
          UPLOADER_MD5,
          "crc64nvme",
          CRC64,
          "crc64nvme-composite",
          "crc32c",
          "crc32c-composite",
          "crc32",
          "crc32-composite");

  /**
   * The outcome: what was checked, and the first mismatch (expected and actual), if any.
   *
   * @param layoutGuessed the mismatch is of a multipart checksum or ETag whose part size was
   *     guessed (several part sizes fit and the store did not say which) and no other digest
   *     vouched for the bytes: they may be right and the upload's part size another one. Fetching
   *     again tells: bytes that come the same twice are what the store holds (see {@code
   *     FileAttempt})
   * @param fingerprint what identifies the bytes checked when {@code layoutGuessed} (their CRC, or
   *     their part digests), else null
   */
  public record Verdict(
      @Nullable String verifiedBy,
      List<String> checks,
      @Nullable String mismatch,
      boolean layoutGuessed,
      @Nullable String fingerprint) {
    public Verdict(@Nullable String verifiedBy, List<String> checks, @Nullable String mismatch) {
      this(verifiedBy, checks, mismatch, false, null);
    }

    public boolean ok() {
      return mismatch == null;
    }
  }

  /** A check's mismatch; {@code fingerprint} non-null when it rests on a guessed part layout. */
  private record Mismatch(String message, @Nullable String fingerprint) {
    static Mismatch definite(String message) {
      return new Mismatch(message, null);
    }

    boolean guessed() {
      return fingerprint != null;
    }
  }

  private Evidence() {}

  /**
   * Checks {@code file} (the fetched bytes of {@code object}) with what its {@code ranges} (in
   * index order, all successful, sharing one plan) computed. A whole-object digest the plan asks
   * for that no range computed (the ranges were fetched on several workers) is computed by one pass
   * over the file. A mismatch of a composite checksum or multipart ETag for a guessed part layout
   * fails only when no other digest vouched for the bytes ({@link Verdict#layoutGuessed}).
   */
  public static Verdict check(ObjectRef object, List<FetchedRange> ranges, Path file)
      throws IOException {
    List<String> checks = new ArrayList<>(List.of(SIZE));
    long size = Files.size(file);
    if (size != object.sizeBytes()) {
      return new Verdict(
          null, checks, "size: expected " + object.sizeBytes() + " bytes, got " + size);
    }
    DigestPlan plan = ranges.get(0).plan();
    StoredEvidence known = plan.known();
    List<Mismatch> mismatches = new ArrayList<>();
    if (plan.crc() != null) {
      add(mismatches, checkCrc(object, plan, ranges, checks));
    }
    StoredChecksum stored = known.checksum();
    Map<String, String> whole = wholeDigests(plan, ranges, file);
    if (stored != null && stored.algorithm().crc() == null) {
      add(mismatches, checkSha(plan, stored, ranges, whole, checks));
    }
    String etag = Etags.normalize(object.etag());
    String md5 = whole.get(DigestPlan.MD5);
    if (md5 != null && Etags.isPlainMd5(etag)) {
      add(
          mismatches,
          md5.equals(etag)
              ? pass(checks, MD5)
              : Mismatch.definite("md5: expected " + etag + " (ETag), got " + md5));
    }
    if (md5 != null && known.uploaderMd5Hex() != null) {
      add(
          mismatches,
          md5.equals(known.uploaderMd5Hex())
              ? pass(checks, UPLOADER_MD5)
              : Mismatch.definite(
                  "uploader-md5: expected "
                      + known.uploaderMd5Hex()
                      + " (the uploader's metadata), got "
                      + md5));
    }
    if (!plan.partMd5Bytes().isEmpty()) {
      add(mismatches, checkMultipartMd5(plan, ranges, etag, checks));
    }
    String sha256 = whole.get(DigestPlan.SHA256);
    if (object.expectedSha256() != null && sha256 != null) {
      String expected = object.expectedSha256().strip().toLowerCase(Locale.ROOT);
      add(
          mismatches,
          sha256.equals(expected)
              ? pass(checks, SHA256)
              : Mismatch.definite("sha256: expected " + expected + " (manifest), got " + sha256));
    }
    var definite = mismatches.stream().filter(m -> !m.guessed()).findFirst();
    if (definite.isPresent()) {
      return new Verdict(null, checks, definite.get().message());
    }
    if (!mismatches.isEmpty()
        && checks.size() == 1) { // only a guessed layout's check, and it failed
      Mismatch guessed = mismatches.get(0);
      return new Verdict(null, checks, guessed.message(), true, guessed.fingerprint());
    }
    // A guessed layout that another digest contradicts was simply not the upload's.
    String strongest = STRENGTH.stream().filter(checks::contains).findFirst().orElse(SIZE);
    return new Verdict(strongest, checks, null);
  }

  private static void add(List<Mismatch> mismatches, @Nullable Mismatch mismatch) {
    if (mismatch != null) {
      mismatches.add(mismatch);
    }
  }

  private static @Nullable Mismatch pass(List<String> checks, String name) {
    checks.add(name);
    return null;
  }

  /** The evidence name of a CRC: {@code crc32c}, or {@code crc32c-composite}. */
  public static String crcName(CrcAlgorithm algorithm, boolean composite) {
    return algorithm.name().toLowerCase(Locale.ROOT) + (composite ? COMPOSITE_SUFFIX : "");
  }

  private static @Nullable Mismatch checkCrc(
      ObjectRef object, DigestPlan plan, List<FetchedRange> ranges, List<String> checks) {
    CrcAlgorithm crc = Objects.requireNonNull(plan.crc(), "checked when the plan computes a CRC");
    List<BlockCrcs> spans = new ArrayList<>();
    for (FetchedRange r : ranges) {
      if (r.digests().crcs() == null) {
        return Mismatch.definite(
            crcName(crc, false) + ": range " + r.task().index() + " computed no CRC");
      }
      spans.add(r.digests().crcs());
    }
    BlockCrcs crcs = BlockCrcs.concat(spans);
    StoredEvidence known = plan.known();
    if (crc == CrcAlgorithm.CRC64ECMA) {
      String actual = Long.toUnsignedString(crcs.crc());
      return actual.equals(known.tosCrc64())
          ? pass(checks, CRC64)
          : Mismatch.definite(
              CRC64
                  + ": expected "
                  + known.tosCrc64()
                  + " ("
                  + StoredEvidence.TOS_CRC64_HEADER
                  + "), got "
                  + actual);
    }
    // Any other CRC is the stored checksum's (DigestPlan.choose).
    StoredChecksum stored =
        Objects.requireNonNull(known.checksum(), "a CRC other than TOS's is the stored checksum's");
    String header = stored.algorithm().headerName();
    if (!stored.composite()) {
      String actual = Base64.getEncoder().encodeToString(crc.toBytes(crcs.crc()));
      return stored.matchesCrc(crcs.crc())
          ? pass(checks, crcName(crc, false))
          : Mismatch.definite(
              crcName(crc, false)
                  + ": expected "
                  + stored.base64()
                  + " ("
                  + header
                  + "), got "
                  + actual);
    }
    long exact =
        known.partBytes() > 0
                && MultipartLayout.fits(object.sizeBytes(), stored.partCount(), known.partBytes())
            ? known.partBytes()
            : 0;
    Set<Long> candidates =
        new LinkedHashSet<>(
            MultipartLayout.candidatePartSizes(
                object.sizeBytes(), stored.partCount(), known.partBytes()));
    if (exact == 0) {
      candidates.addAll(MultipartLayout.wholeMibPartSizes(object.sizeBytes(), stored.partCount()));
    }
    if (!crcs.matchingPartSizes(stored, candidates).isEmpty()) {
      return pass(checks, crcName(crc, true));
    }
    String name = crcName(crc, true);
    String fingerprint = exact > 0 ? null : crc + ":" + Long.toUnsignedString(crcs.crc());
    if (candidates.isEmpty()) {
      return new Mismatch(
          name
              + ": expected "
              + stored.headerValue()
              + " ("
              + header
              + "), but no whole-MiB part"
              + " size makes "
              + stored.partCount()
              + " parts of "
              + object.sizeBytes()
              + " bytes",
          fingerprint);
    }
    long likely = candidates.iterator().next();
    String actual =
        Base64.getEncoder().encodeToString(crcs.compositeValue(likely)) + "-" + stored.partCount();
    return new Mismatch(
        name
            + ": expected "
            + stored.headerValue()
            + " ("
            + header
            + "), got "
            + actual
            + " for "
            + mib(likely)
            + " parts"
            + (candidates.size() > 1
                ? ", and no other of the " + candidates.size() + " part sizes that fit gives it"
                : ""),
        fingerprint);
  }

  private static @Nullable Mismatch checkSha(
      DigestPlan plan,
      StoredChecksum stored,
      List<FetchedRange> ranges,
      Map<String, String> whole,
      List<String> checks) {
    String name = "s3-" + stored.algorithm().name().toLowerCase(Locale.ROOT);
    String header = stored.algorithm().headerName();
    if (!stored.composite()) {
      String hex =
          whole.get(
              stored.algorithm() == StoredChecksum.Algorithm.SHA256
                  ? DigestPlan.SHA256
                  : DigestPlan.SHA1);
      if (hex == null) {
        return null; // not computed: a cheaper digest vouches
      }
      byte[] actual = HexFormat.of().parseHex(hex);
      return stored.matches(actual)
          ? pass(checks, name)
          : Mismatch.definite(
              name
                  + ": expected "
                  + stored.base64()
                  + " ("
                  + header
                  + "), got "
                  + Base64.getEncoder().encodeToString(actual));
    }
    if (plan.shaPartBytes() == 0) {
      return null;
    }
    List<byte[]> parts = new ArrayList<>();
    ranges.forEach(
        r -> r.digests().partShaHex().forEach(h -> parts.add(HexFormat.of().parseHex(h))));
    if (parts.size() != stored.partCount()) {
      return Mismatch.definite(
          name
              + COMPOSITE_SUFFIX
              + ": expected "
              + stored.partCount()
              + " parts of "
              + mib(plan.shaPartBytes())
              + ", the ranges held "
              + parts.size());
    }
    byte[] actual = stored.algorithm().compositeOf(parts);
    return stored.matches(actual)
        ? pass(checks, name + COMPOSITE_SUFFIX)
        : Mismatch.definite(
            name
                + COMPOSITE_SUFFIX
                + ": expected "
                + stored.headerValue()
                + " ("
                + header
                + "), got "
                + Base64.getEncoder().encodeToString(actual)
                + "-"
                + parts.size()
                + " for "
                + mib(plan.shaPartBytes())
                + " parts");
  }

  private static @Nullable Mismatch checkMultipartMd5(
      DigestPlan plan, List<FetchedRange> ranges, String etag, List<String> checks) {
    String first = null;
    String fingerprint = null;
    for (long partBytes : plan.partMd5Bytes()) {
      List<byte[]> parts = new ArrayList<>();
      ranges.forEach(
          r ->
              r.digests()
                  .partMd5Hex()
                  .getOrDefault(partBytes, List.of())
                  .forEach(h -> parts.add(HexFormat.of().parseHex(h))));
      String actual = MultipartLayout.etagOf(parts);
      if (actual.equals(etag)) {
        return pass(checks, MULTIPART_MD5);
      }
      if (first == null) {
        first = actual + " for " + mib(partBytes) + " parts";
        fingerprint = "md5:" + mib(partBytes) + ":" + actual;
      }
    }
    boolean guessed = plan.partMd5Bytes().size() > 1;
    return new Mismatch(
        MULTIPART_MD5
            + ": expected "
            + etag
            + " (ETag), got "
            + first
            + (guessed
                ? ", and no other of the "
                    + plan.partMd5Bytes().size()
                    + " part sizes tried gives it (the bytes differ from the upload, or it used another part size)"
                : ""),
        guessed ? fingerprint : null);
  }

  /**
   * The whole object's digests the plan asks for: from the range that computed them (a whole-object
   * range, or the one that completed an in-order digest), else from one pass over the file.
   */
  private static Map<String, String> wholeDigests(
      DigestPlan plan, List<FetchedRange> ranges, Path file) throws IOException {
    Map<String, String> found = new LinkedHashMap<>();
    ranges.forEach(r -> found.putAll(r.digests().wholeHex()));
    List<String> missing =
        plan.wholeDigests().stream().filter(name -> !found.containsKey(name)).toList();
    if (!missing.isEmpty()) {
      found.putAll(pass(file, missing));
    }
    return found;
  }

  /** One read of the file feeding the digests named. */
  private static Map<String, String> pass(Path file, List<String> names) throws IOException {
    Map<String, MessageDigest> digests = new LinkedHashMap<>();
    names.forEach(name -> digests.put(name, Digests.get(name)));
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        for (MessageDigest digest : digests.values()) {
          digest.update(buffer.duplicate());
        }
        buffer.clear();
      }
    }
    Map<String, String> hex = new LinkedHashMap<>();
    digests.forEach((name, digest) -> hex.put(name, HexFormat.of().formatHex(digest.digest())));
    return hex;
  }

  private static String mib(long bytes) {
    return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + "-byte";
  }
}
