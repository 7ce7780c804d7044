package io.modelprefetch.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.ObjectUri;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each verification level checks a fetched file against, and the line a mismatch gives. */
class EvidenceTest {

  private static final byte[] BYTES = "hello, weights\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private Path file() throws IOException {
    return Files.write(dir.resolve("f.bin"), BYTES);
  }

  private static String hex(String algorithm, byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
  }

  /** The object as listed, fetched as two ranges (so its MD5 needs a pass over the file). */
  private static List<FetchedRange> ranges(String etag, String sha256) {
    ObjectRef object = new ObjectRef(new ModelKey("m", "s3://b/m/", "/tmp/m"), ObjectUri.Scheme.S3, "b", "m/f.bin",
        "f.bin", BYTES.length, etag, sha256, null);
    RangeTask first = new RangeTask(object, 0, 2, 0, 7, 0);
    RangeTask second = new RangeTask(object, 1, 2, 8, BYTES.length - 1, 0);
    return List.of(new FetchedRange(first, 8, 0, null, List.of(), null, null, 0, null, false),
        new FetchedRange(second, BYTES.length - 8, 0, null, List.of(), null, null, 0, null, false));
  }

  private static Evidence.Verdict check(List<FetchedRange> ranges, Path file, boolean digests) throws IOException {
    return Evidence.check(ranges.get(0).task().object(), ranges, file, digests);
  }

  @Test
  void fullVerificationChecksThePlainMd5EtagAndNamesBothValues() throws Exception {
    String wrong = "\"" + hex("MD5", "other".getBytes(StandardCharsets.UTF_8)) + "\"";

    Evidence.Verdict good = check(ranges("\"" + hex("MD5", BYTES) + "\"", null), file(), true);
    Evidence.Verdict bad = check(ranges(wrong, null), file(), true);

    assertEquals(new Evidence.Verdict("md5", List.of("size", "md5"), null), good);
    assertEquals("md5: expected " + wrong.replace("\"", "") + " (ETag), got " + hex("MD5", BYTES), bad.mismatch());
  }

  @Test
  void sizeVerificationIgnoresDigestsButNotTheSize() throws Exception {
    String wrong = "\"" + hex("MD5", "other".getBytes(StandardCharsets.UTF_8)) + "\"";

    assertEquals(new Evidence.Verdict("size", List.of("size"), null), check(ranges(wrong, null), file(), false));
    Path shorter = Files.write(dir.resolve("short.bin"), "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals("size: expected " + BYTES.length + " bytes, got 5", check(ranges(wrong, null), shorter, false).mismatch());
  }

  @Test
  void sizeVerificationStillChecksTheManifestSha256() throws Exception {
    String sha256 = hex("SHA-256", BYTES);
    String other = hex("SHA-256", "other".getBytes(StandardCharsets.UTF_8));

    assertEquals(new Evidence.Verdict("sha256", List.of("size", "sha256"), null),
        check(ranges("\"x-1\"", sha256), file(), false));
    assertEquals("sha256: expected " + other + " (manifest), got " + sha256,
        check(ranges("\"x-1\"", other), file(), false).mismatch());
  }
}
