package io.modelprefetch.transforms.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.model.ModelKey;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code <model>/.prefetch/complete.json}: written last, after every file of the model is in place
 * and verified, so consumers can wait for one file. Removed as soon as a run starts to change the
 * model.
 */
public final class CompletionMarker {

  public static final String FOLDER = ".prefetch";
  public static final String FILE = "complete.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CompletionMarker() {}

  public static Path path(ModelKey model) {
    return Path.of(model.modelDir(), FOLDER, FILE);
  }

  public static org.apache.hadoop.fs.Path hadoopPath(ModelKey model) {
    return new org.apache.hadoop.fs.Path(model.modelDir() + "/" + FOLDER + "/" + FILE);
  }

  /** Removes the marker of a model on a Hadoop file system: the model is about to change. */
  public static void invalidate(org.apache.hadoop.fs.FileSystem fs, ModelKey model)
      throws IOException {
    fs.delete(hadoopPath(model), false);
  }

  /**
   * Removes the marker: the model is about to change. A link in its place is removed, never
   * followed.
   */
  public static void invalidate(ModelKey model) {
    try (SafeFolder folder = SafeFolder.open(Path.of(model.modelDir()), FOLDER, false)) {
      folder.delete(FILE);
    } catch (NoSuchFileException e) {
      // no bookkeeping yet: no marker
    } catch (IOException e) {
      throw new IllegalStateException(IoErrors.describe("remove", path(model), e));
    }
  }

  /**
   * Writes the marker for a model whose every file is in place, after removing the temporary files
   * a killed run left for them ({@link LocalFiles#removeLeftovers}). Locally it is written to a new
   * temporary file (nothing at its name is followed or reused), made durable and renamed over
   * whatever is at {@code complete.json}; a failure removes the temporary file and is one line
   * naming the path and what to do.
   */
  public static void write(ModelKey model, List<FileResult> files, Instant completedAt)
      throws IOException {
    List<FileResult> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(FileResult::relativePath));
    List<Map<String, Object>> entries = new ArrayList<>();
    for (FileResult f : sorted) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("path", f.relativePath());
      e.put("size", f.sizeBytes());
      e.put("etag", f.etag());
      e.put("verifiedBy", f.verifiedBy());
      entries.add(e);
    }
    Map<String, Object> marker = new LinkedHashMap<>();
    marker.put("uri", model.uri());
    marker.put("name", model.name());
    marker.put("completedAt", completedAt.toString());
    marker.put("files", entries);
    if (HadoopFiles.isUri(model.modelDir())) {
      try (org.apache.hadoop.fs.FileSystem fs = HadoopFiles.fileSystem(model)) {
        HadoopFiles.writeString(fs, hadoopPath(model), JSON.writeValueAsString(marker));
      }
      return;
    }
    byte[] json = JSON.writeValueAsBytes(marker);
    String temporary = "." + FILE + ".tmp";
    try {
      LocalFiles.removeLeftovers(model, sorted.stream().map(FileResult::relativePath).toList());
      try (SafeFolder folder = SafeFolder.open(Path.of(model.modelDir()), FOLDER, true)) {
        try {
          folder.writeNew(temporary, json, true);
          folder.move(temporary, folder, FILE);
        } catch (IOException e) {
          folder.deleteQuietly(temporary);
          throw e;
        }
      }
    } catch (IOException e) {
      throw new MarkerException(IoErrors.describe("write", path(model), e), e);
    }
  }

  /** The marker could not be written; the message is one line naming its path and what to do. */
  public static final class MarkerException extends IOException {
    MarkerException(String message, IOException cause) {
      super(message);
      addSuppressed(
          cause); // not the cause: the message already says it, and callers print the root cause
    }

    /** Never null: made with the line that says what failed. */
    @Override
    public String getMessage() {
      return Objects.requireNonNull(super.getMessage());
    }
  }
}
