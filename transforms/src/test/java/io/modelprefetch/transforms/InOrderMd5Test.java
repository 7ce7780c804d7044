package io.modelprefetch.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.s3.ObjectUri;
import io.modelprefetch.transforms.storage.LocalFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MD5 computed behind the download: right whatever order the ranges land in, and only then. */
class InOrderMd5Test {

  @TempDir Path dir;

  private final byte[] bytes = new byte[3 * 1024 * 1024 + 17];

  private List<RangeTask> fetchedFile(String etag) throws Exception {
    new Random(7).nextBytes(bytes);
    ObjectRef object = new ObjectRef(new ModelKey("m", "s3://b/m/", dir.toString()), ObjectUri.Scheme.S3, "b",
        "m/w.bin", "w.bin", bytes.length, etag, null, null);
    Files.createDirectories(LocalFiles.temporary(object).getParent());
    Files.write(LocalFiles.temporary(object), bytes);
    List<RangeTask> ranges = new ArrayList<>();
    long size = 1024 * 1024;
    for (int i = 0; i * size < bytes.length; i++) {
      ranges.add(new RangeTask(object, i, 4, i * size, Math.min(bytes.length, (i + 1) * size) - 1, 0));
    }
    return ranges;
  }

  private String md5() throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
  }

  @Test
  void rangesLandingOutOfOrderGiveTheObjectsMd5OnTheLastOne() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    assertNull(InOrderMd5.landed(ranges.get(2), null));
    assertNull(InOrderMd5.landed(ranges.get(0), null));
    assertNull(InOrderMd5.landed(ranges.get(3), null));
    assertEquals(md5(), InOrderMd5.landed(ranges.get(1), null));
  }

  @Test
  void forgettingStartsTheDigestAgainForARefetch() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");
    InOrderMd5.landed(ranges.get(0), null);
    InOrderMd5.landed(ranges.get(1), null);

    InOrderMd5.forget(ranges.get(0).object());
    for (int i = 0; i < 3; i++) {
      assertNull(InOrderMd5.landed(ranges.get(i), null));
    }
    assertEquals(md5(), InOrderMd5.landed(ranges.get(3), null));
  }

  /** Feeds {@code range}'s bytes to {@code claim}, as a fetch does while they pass. */
  private void feed(InOrderMd5.Stream claim, RangeTask range) {
    claim.update(bytes, (int) range.first(), (int) range.lengthBytes());
  }

  @Test
  void rangesNextInOrderFeedTheDigestAsTheyPassAndLateOnesAreReadBack() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    InOrderMd5.Stream first = InOrderMd5.claim(ranges.get(0));
    assertNull(InOrderMd5.claim(ranges.get(1)), "range 1 is not next while range 0 is in flight");
    feed(first, ranges.get(0));
    assertNull(InOrderMd5.landed(ranges.get(0), first));
    assertNull(InOrderMd5.landed(ranges.get(3), null)); // out of order: read back later
    InOrderMd5.Stream second = InOrderMd5.claim(ranges.get(1));
    feed(second, ranges.get(1));
    assertNull(InOrderMd5.landed(ranges.get(1), second));
    InOrderMd5.Stream third = InOrderMd5.claim(ranges.get(2));
    feed(third, ranges.get(2));

    assertEquals(md5(), InOrderMd5.landed(ranges.get(2), third));
  }

  @Test
  void aClaimGivenUpBeforeAnyByteCanBeTakenAgain() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    InOrderMd5.claim(ranges.get(0)).abandon(); // e.g. the GET failed before the body
    InOrderMd5.Stream retry = InOrderMd5.claim(ranges.get(0));
    feed(retry, ranges.get(0));
    assertNull(InOrderMd5.landed(ranges.get(0), retry));
    for (int i = 1; i < 3; i++) {
      assertNull(InOrderMd5.landed(ranges.get(i), null));
    }

    assertEquals(md5(), InOrderMd5.landed(ranges.get(3), null));
  }

  @Test
  void aClaimGivenUpAfterSomeBytesLeavesTheMd5ToTheCommit() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");
    InOrderMd5.Stream broken = InOrderMd5.claim(ranges.get(0));
    broken.update(bytes, 0, 1000); // the body broke off here

    broken.abandon();
    assertNull(InOrderMd5.claim(ranges.get(1)), "the digest starts again from range 0");
    for (int i = 1; i < 4; i++) {
      assertNull(InOrderMd5.landed(ranges.get(i), null), "range " + i);
    }
  }

  @Test
  void onlyPlainMd5ObjectsInSeveralUnalignedRangesInOneJvm() throws Exception {
    RangeTask plain = fetchedFile("\"0123456789abcdef0123456789abcdef\"").get(0);
    FetchSettings oneJvm = FetchSettings.defaults().withSpreadBuckets(1);

    assertTrue(InOrderMd5.appliesTo(plain, oneJvm));
    assertFalse(InOrderMd5.appliesTo(plain, FetchSettings.defaults()), "ranges spread over a cluster");
    assertFalse(InOrderMd5.appliesTo(new RangeTask(plain.object(), 0, 1, 0, 9, 0), oneJvm), "one range");
    assertFalse(InOrderMd5.appliesTo(new RangeTask(plain.object(), 0, 4, 0, 9, 1 << 20), oneJvm), "part-aligned");
    RangeTask multipart = new RangeTask(plain.object().withVersion(bytes.length, "\"0123456789abcdef0123456789abcdef-4\""),
        0, 4, 0, 9, 0);
    assertFalse(InOrderMd5.appliesTo(multipart, oneJvm), "a multipart ETag is no MD5 of the bytes");
  }
}
