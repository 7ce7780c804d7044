package io.modelprefetch.transforms.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.ObjectUri;
import io.modelprefetch.transforms.model.RangeTask;
import io.modelprefetch.transforms.verify.DigestPlan;
import io.modelprefetch.transforms.verify.RangeDigests;
import io.modelprefetch.transforms.verify.StoredEvidence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which recorded ranges a resumed run trusts: those of the same plan, written in this boot. */
class JournalTest {

  @TempDir Path dir;

  private List<RangeTask> plan() {
    ObjectRef object =
        new ObjectRef(
            new ModelKey("m", "s3://b/m/", dir.toString()),
            ObjectUri.Scheme.S3,
            "b",
            "m/w.safetensors",
            "w.safetensors",
            30,
            "\"abc-3\"",
            null,
            null);
    return List.of(
        new RangeTask(object, 0, 3, 0, 9, PLAN, false),
        new RangeTask(object, 1, 3, 10, 19, PLAN, false),
        new RangeTask(object, 2, 3, 20, 29, PLAN, false));
  }

  private static final DigestPlan PLAN =
      new DigestPlan(StoredEvidence.NONE, null, List.of(), List.of(10L), 0);

  private static FetchedRange written(RangeTask task) {
    return new FetchedRange(
        task, 10, task.plan(), RangeDigests.Result.NONE, Map.of(), 5, null, false);
  }

  @Test
  void rangesRecordedInThisBootAreResumed() throws Exception {
    List<RangeTask> plan = plan();
    Journal.record(written(plan.get(0)));
    Journal.record(written(plan.get(2)));

    List<RangeTask> resumed = Journal.resumable(plan);

    assertEquals(
        List.of(plan.get(0).withLocal(true), plan.get(2).withLocal(true)),
        resumed,
        "read back from the file for their digests: the journal vouches for no digest");
  }

  @Test
  void aRecordOfTheEarlierFormatIsNotTrusted() throws Exception {
    List<RangeTask> plan = plan();
    Journal.record(written(plan.get(0)));
    Path entry = Journal.folder(plan.get(0).object()).resolve("0");
    Files.writeString(
        entry, "0 9 0 - 0123456789abcdef0123456789abcdef - " + Journal.BOOT_ID + "\n");

    assertEquals(List.of(), Journal.resumable(plan));
  }

  @Test
  void aRangeRecordedInAnotherBootIsFetchedAgain() throws Exception {
    List<RangeTask> plan = plan();
    Journal.record(written(plan.get(0)));
    Journal.record(written(plan.get(1)));
    Path entry = Journal.folder(plan.get(1).object()).resolve("1");
    String line = Files.readString(entry, StandardCharsets.US_ASCII).strip();
    String otherBoot =
        line.substring(0, line.lastIndexOf(' ') + 1) + "00000000-0000-0000-0000-000000000000";
    Files.writeString(entry, otherBoot + "\n", StandardCharsets.US_ASCII);

    assertEquals(List.of(0), Journal.resumable(plan).stream().map(RangeTask::index).toList());
  }

  @Test
  void aRecordThatDisagreesWithThePlanDiscardsTheJournal() throws Exception {
    List<RangeTask> plan = plan();
    Journal.record(written(plan.get(0)));
    RangeTask other =
        new RangeTask(plan.get(1).object(), 1, 3, 10, 24, PLAN, false); // another part size
    Journal.record(written(other));

    assertEquals(List.of(), Journal.resumable(plan));
  }
}
