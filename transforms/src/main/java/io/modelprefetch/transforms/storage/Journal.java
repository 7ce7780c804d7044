package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.model.FetchedRange;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.model.RangeTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What is already written of a temporary file, so a killed run resumes where it stopped: one small
 * file per range in a folder next to the temporary file, created by an atomic rename after the
 * range's bytes are written (safe for many writers, also on a shared mount). A range without a
 * record is fetched again.
 *
 * <p>A record names the boot of the machine that wrote it ({@code /proc/sys/kernel/random/boot_id}).
 * A killed process leaves its written bytes in the page cache, so a run of the same boot resumes
 * from them with no fsync per range; after a reboot or a crash of the machine those bytes may be
 * lost, so a record of another boot is not trusted and its range is fetched again. Where the boot
 * cannot be read, each range is made durable (fsync) before it is recorded.
 */
public final class Journal {

  /** The version of a record's line: a record of another version is not trusted. */
  private static final String FORMAT = "v2";

  /** This boot's id, or null where the system does not say. */
  public static final String BOOT_ID = readBootId();

  private Journal() {}

  /** Whether a range must be made durable before its record: only where the boot is unknown. */
  public static boolean needsFsync() {
    return BOOT_ID == null;
  }

  private static String readBootId() {
    try {
      String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).strip();
      return id.matches("[0-9a-f-]{8,64}") ? id : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  public static Path folder(ObjectRef object) {
    Path temporary = LocalFiles.temporary(object);
    return temporary.resolveSibling(temporary.getFileName() + ".journal");
  }

  /**
   * Records a successful range: its bytes and the boot that wrote them. No digest is kept: a
   * resumed range is read back from the file for its digests, so the evidence is always of the
   * bytes that will get the final name, whatever touched the file in between.
   */
  public static void record(FetchedRange range) throws IOException {
    RangeTask t = range.task();
    Path dir = folder(t.object());
    Files.createDirectories(dir);
    String line = String.join(" ", FORMAT, Long.toString(t.first()), Long.toString(t.lastInclusive()), orDash(BOOT_ID));
    Path entry = dir.resolve(Integer.toString(t.index()));
    Path temp = dir.resolve("." + t.index() + ".tmp");
    Files.writeString(temp, line + "\n", StandardCharsets.US_ASCII);
    Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The tasks of {@code plan} whose bytes a killed run wrote and recorded, as tasks to read back
   * from the file ({@link RangeTask#local}). Returns nothing when any record disagrees with the plan
   * (the part size changed, or a record of an older format): the file is then fetched afresh. A
   * record of another boot (see above) is left out: its range is fetched again.
   */
  public static List<RangeTask> resumable(List<RangeTask> plan) {
    if (plan.isEmpty()) {
      return List.of();
    }
    Path dir = folder(plan.get(0).object());
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    Map<Integer, RangeTask> byIndex = new HashMap<>();
    plan.forEach(t -> byIndex.put(t.index(), t));
    List<RangeTask> out = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
        RangeTask task = byIndex.get(Integer.parseInt(entry.getFileName().toString()));
        String[] f = Files.readString(entry, StandardCharsets.US_ASCII).strip().split(" ");
        if (task == null || f.length != 4 || !f[0].equals(FORMAT) || Long.parseLong(f[1]) != task.first()
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

  /** Forgets every record of {@code object}. */
  public static void clear(ObjectRef object) {
    Path dir = folder(object);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // A stale record only matters with its temporary file, which is reset or removed with it.
    }
  }

  private static String orDash(String s) {
    return s == null ? "-" : s;
  }

}
