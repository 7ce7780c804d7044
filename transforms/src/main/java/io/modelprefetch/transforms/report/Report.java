package io.modelprefetch.transforms.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.storage.IoErrors;
import io.modelprefetch.transforms.structure.Structure;
import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The JSON report of a run: status, totals, one entry per model and one per object, in a stable
 * field order.
 */
public final class Report {

  public static final String OK = "ok";
  public static final String FAILED = "failed";

  /** The {@code verifiedBy} of an object whose size alone was checked. */
  private static final String SIZE_ONLY = "size";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Report() {}

  /** Builds the report document. */
  public static Map<String, Object> build(
      List<FileResult> results,
      List<ModelKey> models,
      Instant startedAt,
      Instant finishedAt,
      List<String> notes) {
    List<FileResult> sorted = new ArrayList<>(results);
    sorted.sort(
        Comparator.comparing((FileResult r) -> r.model().modelDir())
            .thenComparing(r -> r.relativePath() == null ? "" : r.relativePath()));
    double seconds =
        Math.max(0.001, (finishedAt.toEpochMilli() - startedAt.toEpochMilli()) / 1000.0);

    List<Map<String, Object>> modelEntries = new ArrayList<>();
    long objects = 0, verified = 0, present = 0, failed = 0, bytes = 0, bytesFetched = 0;
    boolean anyFailure = false;
    for (ModelKey model : models) {
      long mObjects = 0, mVerified = 0, mPresent = 0, mFailed = 0, mBytes = 0;
      String modelError = null;
      for (FileResult r : sorted) {
        if (!r.model().equals(model)) {
          continue;
        }
        bytesFetched += r.bytesFetched();
        if (r.isModelLevel()) {
          modelError = r.error();
          continue;
        }
        mObjects++;
        mBytes += r.sizeBytes();
        switch (r.status()) {
          case VERIFIED -> mVerified++;
          case PRESENT -> mPresent++;
          case FAILED -> mFailed++;
        }
      }
      boolean modelOk = modelError == null && mFailed == 0 && mObjects > 0;
      anyFailure |= !modelOk;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", model.name());
      m.put("uri", model.uri());
      m.put("localPath", model.modelDir());
      m.put("status", modelOk ? OK : FAILED);
      m.put("objects", mObjects);
      m.put("verified", mVerified);
      m.put("present", mPresent);
      m.put("failed", mFailed);
      m.put("bytes", mBytes);
      m.put("error", modelError);
      modelEntries.add(m);
      objects += mObjects;
      verified += mVerified;
      present += mPresent;
      failed += mFailed;
      bytes += mBytes;
    }

    // What vouched for the objects fetched now: per evidence, how many objects and bytes.
    Map<String, Map<String, Long>> evidence = new java.util.TreeMap<>();
    long sizeOnlyObjects = 0;
    long sizeOnlyBytes = 0;
    Map<Structure.Status, Long> structure = new EnumMap<>(Structure.Status.class);
    List<Map<String, Object>> objectEntries = new ArrayList<>();
    for (FileResult r : sorted) {
      if (r.isModelLevel()) {
        continue;
      }
      structure.merge(r.structure(), 1L, Long::sum);
      if (r.status() == FileResult.Status.VERIFIED && r.verifiedBy() != null) {
        Map<String, Long> kind =
            evidence.computeIfAbsent(r.verifiedBy(), k -> new LinkedHashMap<>());
        kind.merge("objects", 1L, Long::sum);
        kind.merge("bytes", r.sizeBytes(), Long::sum);
        if (r.verifiedBy().equals(SIZE_ONLY)) {
          sizeOnlyObjects++;
          sizeOnlyBytes += r.sizeBytes();
        }
      }
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("model", r.model().name());
      o.put("uri", r.uri());
      o.put("relativePath", r.relativePath());
      o.put("size", r.sizeBytes());
      o.put("etag", r.etag());
      o.put("verifiedBy", r.verifiedBy());
      o.put("checks", r.checks());
      o.put("structure", r.structure().label());
      o.put("structureNotes", r.structureNotes());
      o.put("status", r.status().label());
      o.put("bytesFetched", r.bytesFetched());
      o.put("retries", r.retries());
      o.put("error", r.error());
      objectEntries.add(o);
    }

    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("models", models.size());
    totals.put("objects", objects);
    totals.put("verified", verified);
    totals.put("present", present);
    totals.put("failed", failed);
    totals.put("bytes", bytes);
    totals.put("bytesFetched", bytesFetched);
    totals.put("seconds", Math.round(seconds * 1000) / 1000.0);
    totals.put("throughputBytesPerSecond", Math.round(bytesFetched / seconds));
    totals.put("evidence", evidence);
    totals.put("sizeOnlyObjects", sizeOnlyObjects);
    totals.put("sizeOnlyBytes", sizeOnlyBytes);
    Map<String, Long> structureTotals = new LinkedHashMap<>();
    structureTotals.put("ok", structure.getOrDefault(Structure.Status.OK, 0L));
    structureTotals.put("failed", structure.getOrDefault(Structure.Status.FAILED, 0L));
    structureTotals.put(
        "notApplicable", structure.getOrDefault(Structure.Status.NOT_APPLICABLE, 0L));
    totals.put("structure", structureTotals);

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("status", anyFailure ? FAILED : OK);
    report.put("startedAt", startedAt.toString());
    report.put("finishedAt", finishedAt.toString());
    report.put("totals", totals);
    report.put("endpoints", notes);
    report.put("models", modelEntries);
    report.put("objects", objectEntries);
    return report;
  }

  /**
   * Writes {@code report} to {@code path} through a temporary file and an atomic rename. The
   * temporary file is created exclusively ({@code O_EXCL}: a link planted at its name is removed,
   * never followed) and removed on a failure, which is one line naming the path.
   */
  public static void write(Map<String, Object> report, Path path) throws IOException {
    Path absolute = path.toAbsolutePath();
    Path temporary = absolute.resolveSibling("." + absolute.getFileName() + ".tmp");
    try {
      if (absolute.getParent() != null) {
        Files.createDirectories(absolute.getParent());
      }
      Files.deleteIfExists(temporary);
      try (OutputStream out =
          Files.newOutputStream(
              temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        JSON.writeValue(out, report);
      }
      Files.move(
          temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // the failure itself is what to report
      }
      throw new ReportException(
          "cannot write the report "
              + Printable.escape(absolute.toString())
              + ": "
              + IoErrors.reason(e)
              + suffix(IoErrors.fix(e)),
          e);
    }
  }

  private static String suffix(@Nullable String fix) {
    return fix == null ? "" : "; " + fix;
  }

  /** The report could not be written; the message is one line naming the path. */
  public static final class ReportException extends IOException {
    ReportException(String message, IOException cause) {
      super(message);
      addSuppressed(cause);
    }
  }

  public static String toJson(Map<String, Object> report) throws IOException {
    return JSON.writeValueAsString(report);
  }
}
