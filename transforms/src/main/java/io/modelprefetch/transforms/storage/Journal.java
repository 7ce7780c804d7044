package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What is already written of a temporary file, so a killed run resumes where it stopped: one small
 * file per range in a folder next to the temporary file (in {@link LocalFiles#PARTS}), created by
 * an atomic rename after the range's bytes are written (safe for many writers, also on a shared
 * mount). A range without a record is fetched again.
 *
 * <p>A record names the boot of the machine that wrote it ({@code
 * /proc/sys/kernel/random/boot_id}). A killed process leaves its written bytes in the page cache,
 * so a run of the same boot resumes from them with no fsync per range; after a reboot or a crash of
 * the machine those bytes may be lost, so a record of another boot is not trusted and its range is
 * fetched again. Where the boot cannot be read, each range is made durable (fsync) before it is
 * recorded.
 */
public final class Journal {

  /** The version of a record's line: a record of another version is not trusted. */
  private static final String FORMAT = "v2";

  /** This boot's id, or null where the system does not say. */
  public static final @Nullable String BOOT_ID = readBootId();

  private Journal() {}

  /** Whether a range must be made durable before its record: only where the boot is unknown. */
  public static boolean needsFsync() {
    return BOOT_ID == null;
  }

  private static @Nullable String readBootId() {
    try {
      String id =
          Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII)
              .strip();
      return id.matches("[0-9a-f-]{8,64}") ? id : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The journal of {@code object}: a folder next to its temporary file, in {@link
   * LocalFiles#PARTS}.
   */
  public static Path folder(ObjectRef object) {
    return LocalFiles.parts(object.model()).resolve(folderName(object));
  }

  private static String folderName(ObjectRef object) {
    return LocalFiles.temporaryName(object) + ".journal";
  }

  /**
   * Records a successful range: its bytes and the boot that wrote them. No digest is kept: a
   * resumed range is read back from the file for its digests, so the evidence is always of the
   * bytes that will get the final name, whatever touched the file in between. Its folder and files
   * are made without following links; a failure is a {@link LocalFiles.LocalWriteException}
   * (fetching the range again cannot help).
   */
  public static void record(FetchedRange range) throws LocalFiles.LocalWriteException {
    RangeTask t = range.task();
    String line =
        String.join(
            " ",
            FORMAT,
            Long.toString(t.first()),
            Long.toString(t.lastInclusive()),
            orDash(BOOT_ID));
    String entry = Integer.toString(t.index());
    String temp = "." + t.index() + ".tmp";
    try (SafeFolder parts = LocalFiles.partsFolder(t.object().model(), true);
        SafeFolder journal = parts.child(folderName(t.object()), true)) {
      journal.writeNew(temp, (line + "\n").getBytes(StandardCharsets.US_ASCII), false);
      journal.move(temp, journal, entry);
    } catch (IOException e) {
      throw new LocalFiles.LocalWriteException(folder(t.object()).resolve(entry), e);
    }
  }

  /**
   * The tasks of {@code plan} whose bytes a killed run wrote and recorded, as tasks to read back
   * from the file ({@link RangeTask#local}). Returns nothing when any record disagrees with the
   * plan (the part size changed, or a record of an older format): the file is then fetched afresh.
   * A record of another boot (see above) is left out: its range is fetched again. A journal that is
   * not a plain folder of plain files (a link) vouches for nothing.
   */
  public static List<RangeTask> resumable(List<RangeTask> plan) {
    if (plan.isEmpty()) {
      return List.of();
    }
    ObjectRef object = plan.get(0).object();
    Map<Integer, RangeTask> byIndex = new HashMap<>();
    plan.forEach(t -> byIndex.put(t.index(), t));
    List<RangeTask> out = new ArrayList<>();
    try (SafeFolder parts = LocalFiles.partsFolder(object.model(), false);
        SafeFolder journal = parts.child(folderName(object), false)) {
      for (String name : journal.names()) {
        if (name.startsWith(".")) {
          continue;
        }
        RangeTask task = byIndex.get(Integer.parseInt(name));
        String text = journal.readString(name);
        String[] f = text == null ? new String[0] : text.strip().split(" ");
        if (task == null
            || f.length != 4
            || !f[0].equals(FORMAT)
            || Long.parseLong(f[1]) != task.first()
            || Long.parseLong(f[2]) != task.lastInclusive()) {
          return List.of();
        }
        if (!f[3].equals(orDash(BOOT_ID))) {
          continue; // written in another boot: the bytes may not have survived it
        }
        out.add(task.withLocal(true));
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    out.sort(Comparator.comparingInt(RangeTask::index));
    return out;
  }

  /**
   * Forgets every record of {@code object}; a link in the journal's place is removed, never
   * followed.
   */
  public static void clear(ObjectRef object) {
    try (SafeFolder parts = LocalFiles.partsFolder(object.model(), false)) {
      parts.deleteTree(folderName(object));
    } catch (IOException e) {
      // A stale record only matters with its temporary file, which is reset or removed with it.
    }
  }

  private static String orDash(@Nullable String s) {
    return s == null ? "-" : s;
  }
}
