package io.modelprefetch.transforms.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelprefetch.transforms.model.FetchSettings;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.storage.LocalFiles;
import io.modelprefetch.transforms.storage.RangeWriter;
import io.modelprefetch.transforms.verify.CrcAlgorithm;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.StoredEvidence;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The digests computed behind the download: right whatever order the ranges land in, and only then.
 */
class InOrderDigestsTest {

  @TempDir Path dir;

  private final InOrderDigests digests = new InOrderDigests(directIo());

  /**
   * Read-backs past the page cache where the file system allows it (the test folder's does here).
   */
  boolean directIo() {
    return true;
  }

  private static final DigestPlan MD5 =
      new DigestPlan(StoredEvidence.NONE, null, List.of(DigestPlan.MD5), List.of(), 0);

  private byte[] bytes = new byte[3 * 1024 * 1024 + 17];

  private List<RangeTask> fetchedFile(String etag) throws Exception {
    return fetchedFile(etag, MD5);
  }

  private List<RangeTask> fetchedFile(String etag, DigestPlan plan) throws Exception {
    return fetchedFile(etag, plan, 1024 * 1024);
  }

  /** The object of {@link #bytes}, all written to its temporary file, in ranges of {@code size}. */
  private List<RangeTask> fetchedFile(String etag, DigestPlan plan, long size) throws Exception {
    new Random(7).nextBytes(bytes);
    ObjectRef object =
        new ObjectRef(
            new ModelKey("m", "s3://b/m/", dir.toString()),
            ObjectUri.Scheme.S3,
            "b",
            "m/w.bin",
            "w.bin",
            bytes.length,
            etag,
            null,
            null);
    Files.createDirectories(LocalFiles.temporary(object).getParent());
    Files.write(LocalFiles.temporary(object), bytes);
    List<RangeTask> ranges = new ArrayList<>();
    int count = (int) ((bytes.length + size - 1) / size);
    for (int i = 0; i < count; i++) {
      ranges.add(
          new RangeTask(
              object, i, count, i * size, Math.min(bytes.length, (i + 1) * size) - 1, plan, false));
    }
    return ranges;
  }

  private Map<String, String> md5() throws Exception {
    return Map.of(
        DigestPlan.MD5, HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)));
  }

  @Test
  void rangesLandingOutOfOrderGiveTheObjectsMd5OnTheLastOne() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    assertNull(digests.landed(ranges.get(2), null));
    assertNull(digests.landed(ranges.get(0), null));
    assertNull(digests.landed(ranges.get(3), null));
    assertEquals(md5(), digests.landed(ranges.get(1), null));
    assertEquals("0 MiB digested as they arrived, 3 MiB read back (100%)", digests.summary());
  }

  @Test
  void forgettingStartsTheDigestAgainForARefetch() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");
    digests.landed(ranges.get(0), null);
    digests.landed(ranges.get(1), null);

    digests.forget(ranges.get(0).object());
    for (int i = 0; i < 3; i++) {
      assertNull(digests.landed(ranges.get(i), null));
    }
    assertEquals(md5(), digests.landed(ranges.get(3), null));
  }

  /** Feeds {@code range}'s bytes to {@code claim}, as a fetch does while they pass. */
  private void feed(InOrderDigests.Stream claim, RangeTask range) {
    claim.update(bytes, (int) range.first(), (int) range.lengthBytes());
  }

  @Test
  void rangesNextInOrderFeedTheDigestAsTheyPassAndLateOnesAreReadBack() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    InOrderDigests.Stream first = digests.claim(ranges.get(0));
    assertNull(digests.claim(ranges.get(1)), "range 1 is not next while range 0 is in flight");
    feed(first, ranges.get(0));
    assertNull(digests.landed(ranges.get(0), first));
    assertNull(digests.landed(ranges.get(3), null)); // out of order: read back later
    InOrderDigests.Stream second = digests.claim(ranges.get(1));
    feed(second, ranges.get(1));
    assertNull(digests.landed(ranges.get(1), second));
    InOrderDigests.Stream third = digests.claim(ranges.get(2));
    feed(third, ranges.get(2));

    assertEquals(md5(), digests.landed(ranges.get(2), third));
    assertEquals("3 MiB digested as they arrived, 0 MiB read back (0%)", digests.summary());
  }

  @Test
  void aRangeBehindTakesTheDigestsOverMidwayOnceTheOneBeforeItCompletes() throws Exception {
    int range = 9 << 20; // large enough for direct writes, which stage up to 1 MiB
    bytes = new byte[2 * range];
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"", MD5, range);
    RangeTask second = ranges.get(1);
    try (FileChannel file =
        FileChannel.open(LocalFiles.temporary(second.object()), StandardOpenOption.WRITE)) {
      file.write(ByteBuffer.allocate(range), range); // not fetched yet: zeros
    }
    InOrderDigests.Stream first = digests.claim(ranges.get(0));
    feed(first, ranges.get(0));
    InOrderDigests.Waiting behind = digests.waiting(second);
    assertNull(digests.claim(second), "range 1 is not next while range 0 is in flight");

    int before = 4 << 20 | 512 << 10; // written before its turn: 4 MiB on disk, the rest staged
    try (RangeWriter out = RangeWriter.open(second, directIo())) {
      out.write(bytes, range, before);
      assertNull(behind.claim(out), "range 0 has not completed");
      assertNull(digests.landed(ranges.get(0), first));
      InOrderDigests.Stream midway = behind.claim(out);
      out.write(bytes, range + before, range - before);
      midway.update(bytes, range + before, range - before);
      out.finish();

      assertEquals(md5(), digests.landed(second, midway));
    }
    assertEquals("13 MiB digested as they arrived, 4 MiB read back (25%)", digests.summary());
    assertEquals(0, digests.tracked());
  }

  @Test
  void aMidwayClaimThatCannotReadBackLeavesTheDigestsToTheCommit() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");
    RangeTask second = ranges.get(1);
    InOrderDigests.Stream first = digests.claim(ranges.get(0));
    feed(first, ranges.get(0));
    InOrderDigests.Waiting behind = digests.waiting(second);
    try (RangeWriter out = RangeWriter.open(second, directIo())) {
      out.write(bytes, (int) second.first(), 1000);
      assertNull(digests.landed(ranges.get(0), first));
      Files.delete(LocalFiles.temporary(second.object())); // nothing to read back from

      assertNull(behind.claim(out), "what range 1 wrote cannot be read back");
      assertEquals(0, digests.tracked(), "the digests are dropped, not claimed again");
      assertNull(behind.claim(out));
    }
  }

  @Test
  void summaryIsEmptyBeforeAnyObjectWasDigested() {
    assertEquals("", digests.summary());
  }

  @Test
  void aClaimGivenUpBeforeAnyByteCanBeTakenAgain() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");

    digests.claim(ranges.get(0)).abandon(); // e.g. the GET failed before the body
    InOrderDigests.Stream retry = digests.claim(ranges.get(0));
    feed(retry, ranges.get(0));
    assertNull(digests.landed(ranges.get(0), retry));
    for (int i = 1; i < 3; i++) {
      assertNull(digests.landed(ranges.get(i), null));
    }

    assertEquals(md5(), digests.landed(ranges.get(3), null));
  }

  @Test
  void aClaimGivenUpAfterSomeBytesLeavesTheMd5ToTheCommit() throws Exception {
    List<RangeTask> ranges = fetchedFile("\"0123456789abcdef0123456789abcdef\"");
    InOrderDigests.Stream broken = digests.claim(ranges.get(0));
    broken.update(bytes, 0, 1000); // the body broke off here

    broken.abandon();
    assertNull(digests.claim(ranges.get(1)), "the digest starts again from range 0");
    for (int i = 1; i < 4; i++) {
      assertNull(digests.landed(ranges.get(i), null), "range " + i);
    }
  }

  @Test
  void everyDigestThePlanNamesIsComputedInTheSamePass() throws Exception {
    DigestPlan both =
        new DigestPlan(
            StoredEvidence.NONE, null, List.of(DigestPlan.MD5, DigestPlan.SHA256), List.of(), 0);
    List<RangeTask> ranges = fetchedFile("\"x-1\"", both);
    for (int i = 3; i > 0; i--) {
      assertNull(digests.landed(ranges.get(i), null));
    }

    Map<String, String> all = digests.landed(ranges.get(0), null);
    assertEquals(md5().get(DigestPlan.MD5), all.get(DigestPlan.MD5));
    assertEquals(
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
        all.get(DigestPlan.SHA256));
    assertEquals(0, digests.tracked(), "a completed object is forgotten");
  }

  @Test
  void onlyObjectsWithWholeDigestsInSeveralRangesInOneJvm() throws Exception {
    RangeTask plain = fetchedFile("\"0123456789abcdef0123456789abcdef\"").get(0);
    FetchSettings oneJvm = FetchSettings.defaults().withSpreadBuckets(1);

    assertTrue(InOrderDigests.appliesTo(plain, oneJvm));
    assertFalse(
        InOrderDigests.appliesTo(plain, FetchSettings.defaults()), "ranges spread over a cluster");
    assertFalse(
        InOrderDigests.appliesTo(new RangeTask(plain.object(), 0, 1, 0, 9, MD5, false), oneJvm),
        "one range");
    DigestPlan crcOnly =
        new DigestPlan(StoredEvidence.NONE, CrcAlgorithm.CRC32C, List.of(), List.of(), 0);
    assertFalse(
        InOrderDigests.appliesTo(new RangeTask(plain.object(), 0, 4, 0, 9, crcOnly, false), oneJvm),
        "nothing to digest in order");
  }
}
